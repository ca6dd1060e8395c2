import { z } from 'zod';
import { Invalid } from '../errors.js';

/** A number as the forms and messages write it: 20,000. */
const count = (n: number) => n.toLocaleString('en');

/** What a text over its limit is told, with how long it is: nothing is ever cut to fit. */
export const tooLongMessage = (max: number, length: number) => `Use at most ${count(max)} characters (you typed ${count(length)})`;

/** The value at a path of the input given to a schema (a field of a form, of a JSON body...). */
function valueAt(input: unknown, path: (string | number)[]): unknown {
  let v = input;
  for (const key of path) {
    if (!v || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}

/**
 * The message per field (dotted path) of a failed parse, the first for each field. A text over its
 * limit is told the limit and its own length, whatever the schema's wording, in one way everywhere.
 */
function fieldsOf(error: z.ZodError, input: unknown, prefix: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = prefix + (issue.path.length ? issue.path.join('.') : 'body');
    const typed = issue.code === 'too_big' && issue.type === 'string' ? valueAt(input, issue.path) : undefined;
    fields[key] ??= issue.code === 'too_big' && typeof typed === 'string' ? tooLongMessage(Number(issue.maximum), typed.length) : issue.message;
  }
  return fields;
}

/** The field messages of input a schema refuses (none when it takes it), for a form to name every problem at once. */
export function problemsIn(schema: z.ZodTypeAny, input: unknown, prefix = ''): Record<string, string> {
  const result = schema.safeParse(input);
  return result.success ? {} : fieldsOf(result.error, input, prefix);
}

/** Parses input with a zod schema; bad input becomes Invalid with a message per field (dotted path). */
export function parseInput<S extends z.ZodTypeAny>(schema: S, input: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data as z.output<S>;
  throw new Invalid(fieldsOf(result.error, input, prefix));
}

// Control characters other than tab, newline and carriage return have no place in text we show.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Text with the control characters other than tab, newline and carriage return taken out (what alerting sends). */
export const withoutControl = (s: string) => s.replace(new RegExp(CONTROL.source, 'g'), '');

/** One line of text with no control characters: what names and titles must be. */
export const singleLine = (s: string) => !CONTROL.test(s) && !/[\r\n]/.test(s);

/**
 * The bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): one in a name
 * reverses how the rest of it reads, and can run on into what the page shows after it ("Trojan
 * Source"). The marks (U+200E, U+200F, U+061C) are kept: they have no extent, only settle the direction
 * of the characters beside them, and names in Arabic or Hebrew need them for their punctuation.
 */
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/g;

/** Text without bidirectional controls: every name a viewer sees goes through it (nameText, the alerts' names). */
export const withoutBidiControls = (s: string) => s.replace(BIDI_CONTROL, '');

/** A single-line name: bidirectional controls taken out, trimmed, required, bounded, no control characters. */
export const nameText = (max: number) =>
  z
    .string({ invalid_type_error: 'Must be text', required_error: 'Enter a name' })
    .transform(withoutBidiControls)
    .pipe(
      z
        .string()
        .trim()
        .min(1, 'Enter a name')
        .max(max, `Use at most ${count(max)} characters`)
        .refine(singleLine, 'Must be a single line without control characters'),
    );

/** Multi-line text such as a Markdown body. */
export const longText = (max: number) =>
  z
    .string({ invalid_type_error: 'Must be text' })
    .max(max, `Use at most ${count(max)} characters`)
    .refine((s) => !CONTROL.test(s), 'Must not contain control characters')
    .transform((s) => s.trim());

/** A short text shown beside a name (a component's or a group's description): without bidirectional controls either. */
export const sideText = (max: number) => longText(max).transform(withoutBidiControls);

/** A JSON boolean; forms turn their checkboxes into booleans before calling the domain. */
export const flag = z.boolean({ invalid_type_error: 'Must be true or false', required_error: 'Must be true or false' });

export const enumOf = <T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z.enum(values, { errorMap: () => ({ message: `${what} must be one of: ${values.join(', ')}` }) });

/** An ISO 8601 time with a real calendar date (2026-02-30 is refused, not rolled over), normalised to UTC. */
export const isoTime = z
  .string({ invalid_type_error: 'Must be an ISO 8601 time', required_error: 'Enter a time' })
  .refine((s) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}/.exec(s);
    if (!m || Number.isNaN(Date.parse(s))) return false;
    const day = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    return day.getUTCMonth() === Number(m[2]) - 1 && day.getUTCDate() === Number(m[3]);
  }, 'Must be an ISO 8601 time, such as 2026-11-30T14:05:00Z')
  .transform((s) => new Date(s).toISOString());

/** The schema under wrappers (optional, nullable, default, preprocess/refine/transform, pipe...). */
function unwrapped(schema: z.ZodTypeAny): z.ZodTypeAny {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodTypeAny;
    else if (s instanceof z.ZodDefault) s = s.removeDefault() as z.ZodTypeAny;
    else if (s instanceof z.ZodEffects) s = s.innerType() as z.ZodTypeAny;
    else if (s instanceof z.ZodPipeline) s = s._def.in as z.ZodTypeAny;
    else if (s instanceof z.ZodCatch) s = s.removeCatch() as z.ZodTypeAny;
    else if (s instanceof z.ZodLazy) s = s.schema as z.ZodTypeAny;
    else return s;
  }
}

const BOOLEAN_TEXT = new Map([
  ['true', true],
  ['false', false],
  ['1', true],
  ['0', false],
]);

/**
 * A form's values typed as `schema` expects them, before it parses them: a form sends only text, so
 * "true"/"false" (and "1"/"0") become booleans where the schema takes a boolean, decimal text a number
 * where it takes a number, and a lone value a list where it takes a list. Anything else is left as sent,
 * for the schema to refuse with its own message.
 */
export function formTyped(schema: z.ZodTypeAny, value: unknown): unknown {
  const s = unwrapped(schema);
  if (s instanceof z.ZodUnion) {
    const options = s.options as z.ZodTypeAny[];
    for (const option of options) {
      const typed = formTyped(option, value);
      if (typed !== value) return typed;
    }
    return value;
  }
  if (s instanceof z.ZodArray) {
    const element = s.element as z.ZodTypeAny;
    if (Array.isArray(value)) return value.map((v) => formTyped(element, v));
    return typeof value === 'string' ? [formTyped(element, value)] : value;
  }
  if (typeof value === 'string') {
    if (s instanceof z.ZodBoolean) return BOOLEAN_TEXT.get(value) ?? value;
    if (s instanceof z.ZodNumber) return /^-?\d{1,15}(\.\d{1,15})?$/.test(value) ? Number(value) : value;
    return value;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  if (s instanceof z.ZodObject) {
    const shape = s.shape as Record<string, z.ZodTypeAny>;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, Object.hasOwn(shape, k) && shape[k] ? formTyped(shape[k], v) : v]));
  }
  if (s instanceof z.ZodRecord) {
    const values = s.valueSchema as z.ZodTypeAny;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, formTyped(values, v)]));
  }
  return value;
}
