import assert from 'node:assert/strict';

/**
 * Statuspage's documented field names and enums, spelled out here independently of the server's code,
 * and the small assertions the API suites check bodies with.
 */

export type Json = Record<string, unknown>;

export const COMPONENT_STATUSES = ['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'];
export const INCIDENT_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'];
export const IMPACTS = ['none', 'minor', 'major', 'critical', 'maintenance'];
export const INDICATORS = ['none', 'minor', 'major', 'critical', 'maintenance'];
export const DESCRIPTIONS: Record<string, string> = {
  none: 'All Systems Operational',
  minor: 'Minor Service Outage',
  major: 'Partial System Outage',
  critical: 'Major Service Outage',
  maintenance: 'Service Under Maintenance',
};

export const PAGE_KEYS = ['id', 'name', 'url', 'time_zone', 'updated_at'];
export const COMPONENT_KEYS = [
  'id',
  'name',
  'status',
  'created_at',
  'updated_at',
  'position',
  'description',
  'showcase',
  'start_date',
  'group_id',
  'page_id',
  'group',
  'only_show_if_degraded',
];
export const INCIDENT_KEYS = [
  'id',
  'name',
  'status',
  'impact',
  'created_at',
  'updated_at',
  'started_at',
  'monitoring_at',
  'resolved_at',
  'shortlink',
  'page_id',
  'components',
  'incident_updates',
];
export const UPDATE_KEYS = [
  'id',
  'status',
  'body',
  'incident_id',
  'created_at',
  'updated_at',
  'display_at',
  'affected_components',
  'deliver_notifications',
  'custom_tweet',
  'tweet_id',
];

/** An ISO 8601 time as Statuspage sends it: seconds and fractions optional, always an offset or Z. */
export const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

export function obj(value: unknown, where: string): Json {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${where} is an object`);
  return value as Json;
}

export function arr(value: unknown, where: string): unknown[] {
  assert.ok(Array.isArray(value), `${where} is an array`);
  return value;
}

export function str(value: unknown, where: string): string {
  assert.equal(typeof value, 'string', `${where} is a string`);
  return value as string;
}

export function exactKeys(o: Json, expected: string[], where: string): void {
  assert.deepEqual(Object.keys(o).sort(), [...expected].sort(), `${where} has exactly the keys ${expected.join(', ')}`);
}

export function oneOf(value: unknown, allowed: string[], where: string): void {
  assert.ok(typeof value === 'string' && allowed.includes(value), `${where} is one of ${allowed.join('|')}, got ${JSON.stringify(value)}`);
}

export function isoTime(value: unknown, where: string): string {
  const s = str(value, where);
  assert.match(s, ISO_TIME, `${where} is an ISO 8601 time`);
  assert.ok(!Number.isNaN(Date.parse(s)), `${where} parses as a time`);
  return s;
}

export function isoTimeOrNull(value: unknown, where: string): void {
  if (value !== null) isoTime(value, where);
}

export function opaqueId(value: unknown, where: string): string {
  const s = str(value, where);
  assert.ok(s.length > 0, `${where} is not empty`);
  return s;
}
