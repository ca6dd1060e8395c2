import assert from 'node:assert/strict';
import request from 'supertest';
import type { Actor } from '../../../server/domain/access/actors.js';
import type { TestPharos } from '../../helpers/pharos.js';
import { arr, IMPACTS, INCIDENT_KEYS, obj, type Json } from '../../helpers/statuspage.js';

/**
 * What the scheduled-maintenance API suites share (v2-and-status-page, v1-management and icalendar next to
 * this file): reading the v2 endpoints and checking a window in Statuspage's shape. Each test file starts its
 * own Pharos in its own before() and stops it in its own after().
 */

export const system: Actor = { type: 'system' };
const MAINTENANCE_STATUSES = ['scheduled', 'in_progress', 'verifying', 'completed'];
const WINDOW_KEYS = ['scheduled_for', 'scheduled_until', 'scheduled_remind_prior', 'scheduled_auto_in_progress', 'scheduled_auto_completed'];

export async function getJson(p: TestPharos, path: string): Promise<Json> {
  const res = await request(p.app).get(path).expect(200);
  assert.match(String(res.headers['content-type']), /^application\/json/, `${path} is JSON`);
  return obj(JSON.parse(res.text) as unknown, path);
}

/** The scheduled maintenances a v2 endpoint lists. */
export async function windows(p: TestPharos, path: string): Promise<Json[]> {
  const body = await getJson(p, path);
  return arr(body.scheduled_maintenances, `${path} scheduled_maintenances`).map((m, i) => obj(m, `${path}[${i}]`));
}

export async function incidentIds(p: TestPharos, path: string): Promise<string[]> {
  const body = await getJson(p, path);
  return arr(body.incidents, `${path} incidents`).map((i) => String(obj(i, 'incident').id));
}

/** A v2 scheduled maintenance: Statuspage's incident fields, the window and its options, impact "maintenance". */
export function checkWindow(
  m: Json,
  expected: { id: string; status: string; from: string; until: string; remind: boolean; autoStart: boolean; autoComplete: boolean; components: string[] },
  where: string,
): void {
  for (const key of [...INCIDENT_KEYS, ...WINDOW_KEYS]) assert.ok(key in m, `${where} has ${key}`);
  assert.equal(m.id, expected.id);
  assert.ok(MAINTENANCE_STATUSES.includes(String(m.status)), `${where}.status is one of ${MAINTENANCE_STATUSES.join('|')}, got ${String(m.status)}`);
  assert.equal(m.status, expected.status, `${where}.status`);
  assert.equal(m.impact, 'maintenance', `${where}.impact`);
  assert.ok(IMPACTS.includes(String(m.impact)));
  assert.equal(Date.parse(String(m.scheduled_for)), Date.parse(expected.from), `${where}.scheduled_for`);
  assert.equal(Date.parse(String(m.scheduled_until)), Date.parse(expected.until), `${where}.scheduled_until`);
  assert.equal(m.scheduled_remind_prior, expected.remind, `${where}.scheduled_remind_prior`);
  assert.equal(m.scheduled_auto_in_progress, expected.autoStart, `${where}.scheduled_auto_in_progress`);
  assert.equal(m.scheduled_auto_completed, expected.autoComplete, `${where}.scheduled_auto_completed`);
  const components = arr(m.components, `${where}.components`).map((c) => String(obj(c, 'component').id));
  assert.deepEqual(components.sort(), [...expected.components].sort(), `${where}.components`);
  const updates = arr(m.incident_updates, `${where}.incident_updates`);
  assert.ok(updates.length > 0, `${where} has its updates`);
  assert.equal(obj(updates[0], 'update').status, expected.status, `${where}: the newest update has the window's status`);
}
