import fc from 'fast-check';
import type { TestPharos } from './pharos.js';

/** What the fuzzing suites share: how many runs, hostile input, and a fingerprint of what a request may change. */

export const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
/** Markup that must never come out as markup: if `<b data-fuzz` shows up anywhere, input was injected. */
export const CANARY = /<b data-fuzz|<img data-fuzz/i;

/** Hostile text: any Unicode, NUL and lone surrogates, very long strings, markup, template and SQL payloads. */
export const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    '<b data-fuzz>bold</b>',
    '"><b data-fuzz>',
    "'><img data-fuzz src=x>",
    '{{constructor.constructor}}',
    '{{> status/banner}}',
    "'; DROP TABLE incidents; --",
    '\u0000\u0000',
    '\uD800',
    '\u202Eevil',
    '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀 ﷽',
    '[x](javascript:alert(1))',
    'a'.repeat(70_000),
    '',
    ' ',
  ),
);
/** A form field: one value, or several (as repeated fields arrive). */
export const formValue = fc.oneof({ weight: 4, arbitrary: hostile }, { weight: 1, arbitrary: fc.array(hostile, { maxLength: 3 }) });
/** Any JSON, deep objects included. */
export const json = fc.oneof(fc.jsonValue({ maxDepth: 6 }), fc.dictionary(hostile, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }));

const TABLES = [
  'components',
  'component_groups',
  'incidents',
  'incident_updates',
  'incident_components',
  'incident_update_components',
  'subscribers',
  'subscriber_components',
  'communications',
  'communication_drafts',
  'events',
  'users',
  'settings',
  'endpoints',
  'endpoint_components',
  'subscriber_incidents',
];
// Deliveries by what was queued, not their sending state: the mail worker changes that meanwhile.
export const fingerprint = (p: TestPharos) =>
  JSON.stringify([
    ...TABLES.map((t) => p.ctx.db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()),
    p.ctx.db.prepare('SELECT id, source, recipient FROM deliveries ORDER BY id').all(),
  ]);
