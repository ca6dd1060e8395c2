import { z } from 'zod';
import { Invalid } from '../errors.js';

/** Parses input with a zod schema; bad input becomes Invalid with a message per field (dotted path). */
export function parseInput<S extends z.ZodTypeAny>(schema: S, input: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data as z.output<S>;
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const key = prefix + (issue.path.length ? issue.path.join('.') : 'body');
    fields[key] ??= issue.message;
  }
  throw new Invalid(fields);
}

// Control characters other than tab, newline and carriage return have no place in text we show.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** A single-line name: trimmed, required, bounded, no control characters. */
export const nameText = (max: number) =>
  z
    .string({ invalid_type_error: 'Must be text', required_error: 'Enter a name' })
    .trim()
    .min(1, 'Enter a name')
    .max(max, `Use at most ${max} characters`)
    .refine((s) => !CONTROL.test(s) && !/[\r\n]/.test(s), 'Must be a single line without control characters');

/** Multi-line text such as a Markdown body. */
export const longText = (max: number) =>
  z
    .string({ invalid_type_error: 'Must be text' })
    .max(max, `Use at most ${max} characters`)
    .refine((s) => !CONTROL.test(s), 'Must not contain control characters')
    .transform((s) => s.trim());

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
