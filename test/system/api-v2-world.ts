import assert from 'node:assert/strict';
import request from 'supertest';
import type { Actor } from '../../server/domain/access/actors.js';
import { createGroup } from '../../server/domain/page/groups.js';
import { createComponent } from '../../server/domain/page/components.js';
import { startPharos, type TestPharos } from '../helpers/pharos.js';
import {
  arr,
  COMPONENT_KEYS,
  COMPONENT_STATUSES,
  DESCRIPTIONS,
  exactKeys,
  IMPACTS,
  INCIDENT_KEYS,
  INCIDENT_STATUSES,
  INDICATORS,
  ISO_TIME,
  isoTime,
  isoTimeOrNull,
  obj,
  oneOf,
  opaqueId,
  PAGE_KEYS,
  str,
  UPDATE_KEYS,
  type Json,
} from '../helpers/statuspage.js';

/**
 * What the public read API v2 suites share (the api-v2-*.test.ts files next to this one): every v2 endpoint
 * and the shape of its body, checked field for field and enum for enum against Statuspage's v2, and a world
 * of helpers that fetch and check them. Each test file starts its own world (its own Pharos and database)
 * in its own before() and closes it in its own after().
 */

export const system: Actor = { type: 'system' };

const AFFECTED_KEYS = ['code', 'name', 'old_status', 'new_status'];

/** Every v2 endpoint and the exact top-level keys of its body. */
export const ENDPOINTS: Record<string, string[]> = {
  '/api/v2/summary.json': ['page', 'components', 'incidents', 'scheduled_maintenances', 'status'],
  '/api/v2/status.json': ['page', 'status'],
  '/api/v2/components.json': ['page', 'components'],
  '/api/v2/incidents.json': ['page', 'incidents'],
  '/api/v2/incidents/unresolved.json': ['page', 'incidents'],
  '/api/v2/scheduled-maintenances.json': ['page', 'scheduled_maintenances'],
  '/api/v2/scheduled-maintenances/upcoming.json': ['page', 'scheduled_maintenances'],
  '/api/v2/scheduled-maintenances/active.json': ['page', 'scheduled_maintenances'],
};

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function checkPage(value: unknown, pageId: string, where: string): Json {
  const page = obj(value, where);
  exactKeys(page, PAGE_KEYS, where);
  assert.equal(page.id, pageId, `${where}.id is the page id`);
  assert.equal(page.name, 'Acme Status');
  str(page.url, `${where}.url`);
  assert.doesNotThrow(() => new URL(String(page.url)), `${where}.url is a URL`);
  assert.ok(str(page.time_zone, `${where}.time_zone`).length > 0);
  isoTime(page.updated_at, `${where}.updated_at`);
  return page;
}

function checkComponent(value: unknown, pageId: string, where: string): Json {
  const c = obj(value, where);
  assert.equal(typeof c.group, 'boolean', `${where}.group is a boolean`);
  exactKeys(c, c.group === true ? [...COMPONENT_KEYS, 'components'] : COMPONENT_KEYS, where);
  opaqueId(c.id, `${where}.id`);
  str(c.name, `${where}.name`);
  oneOf(c.status, COMPONENT_STATUSES, `${where}.status`);
  isoTime(c.created_at, `${where}.created_at`);
  isoTime(c.updated_at, `${where}.updated_at`);
  assert.ok(Number.isInteger(c.position), `${where}.position is an integer`);
  assert.ok(c.description === null || typeof c.description === 'string', `${where}.description is text or null`);
  assert.equal(typeof c.showcase, 'boolean', `${where}.showcase is a boolean`);
  if (c.start_date !== null) {
    const d = str(c.start_date, `${where}.start_date`);
    assert.ok(ISO_DATE.test(d) || ISO_TIME.test(d), `${where}.start_date is an ISO 8601 date`);
    assert.ok(!Number.isNaN(Date.parse(d)), `${where}.start_date parses`);
  }
  assert.ok(c.group_id === null || typeof c.group_id === 'string', `${where}.group_id is an id or null`);
  assert.equal(c.page_id, pageId, `${where}.page_id`);
  assert.equal(typeof c.only_show_if_degraded, 'boolean', `${where}.only_show_if_degraded is a boolean`);
  if (c.group === true) {
    arr(c.components, `${where}.components`).forEach((id, n) => opaqueId(id, `${where}.components[${n}]`));
    assert.equal(c.group_id, null, `${where}: a group is in no group`);
  }
  return c;
}

function checkAffected(value: unknown, where: string): void {
  if (value === null) return;
  const list = arr(value, where);
  assert.ok(list.length > 0, `${where} is null rather than empty`);
  list.forEach((item, n) => {
    const a = obj(item, `${where}[${n}]`);
    exactKeys(a, AFFECTED_KEYS, `${where}[${n}]`);
    opaqueId(a.code, `${where}[${n}].code`);
    str(a.name, `${where}[${n}].name`);
    oneOf(a.old_status, COMPONENT_STATUSES, `${where}[${n}].old_status`);
    oneOf(a.new_status, COMPONENT_STATUSES, `${where}[${n}].new_status`);
  });
}

function checkUpdate(value: unknown, incidentId: string, where: string): Json {
  const u = obj(value, where);
  exactKeys(u, UPDATE_KEYS, where);
  opaqueId(u.id, `${where}.id`);
  oneOf(u.status, INCIDENT_STATUSES, `${where}.status`);
  str(u.body, `${where}.body`);
  assert.equal(u.incident_id, incidentId, `${where}.incident_id`);
  isoTime(u.created_at, `${where}.created_at`);
  isoTime(u.updated_at, `${where}.updated_at`);
  isoTime(u.display_at, `${where}.display_at`);
  checkAffected(u.affected_components, `${where}.affected_components`);
  assert.equal(typeof u.deliver_notifications, 'boolean', `${where}.deliver_notifications is a boolean`);
  assert.ok(u.custom_tweet === null || typeof u.custom_tweet === 'string', `${where}.custom_tweet`);
  assert.ok(u.tweet_id === null || typeof u.tweet_id === 'string', `${where}.tweet_id`);
  return u;
}

function checkIncident(value: unknown, pageId: string, where: string): Json {
  const i = obj(value, where);
  exactKeys(i, INCIDENT_KEYS, where);
  const id = opaqueId(i.id, `${where}.id`);
  str(i.name, `${where}.name`);
  oneOf(i.status, INCIDENT_STATUSES, `${where}.status`);
  oneOf(i.impact, IMPACTS, `${where}.impact`);
  isoTime(i.created_at, `${where}.created_at`);
  isoTime(i.updated_at, `${where}.updated_at`);
  isoTime(i.started_at, `${where}.started_at`);
  isoTimeOrNull(i.monitoring_at, `${where}.monitoring_at`);
  isoTimeOrNull(i.resolved_at, `${where}.resolved_at`);
  const resolved = i.status === 'resolved' || i.status === 'postmortem';
  assert.equal(i.resolved_at !== null, resolved, `${where}.resolved_at is set exactly when resolved`);
  assert.doesNotThrow(() => new URL(str(i.shortlink, `${where}.shortlink`)), `${where}.shortlink is a URL`);
  assert.equal(i.page_id, pageId, `${where}.page_id`);
  arr(i.components, `${where}.components`).forEach((c, n) => {
    const shape = checkComponent(c, pageId, `${where}.components[${n}]`);
    assert.equal(shape.group, false, `${where}.components[${n}] is a component, not a group`);
  });
  const updates = arr(i.incident_updates, `${where}.incident_updates`).map((u, n) => checkUpdate(u, id, `${where}.incident_updates[${n}]`));
  assert.ok(updates.length > 0, `${where} has at least one update`);
  for (let n = 1; n < updates.length; n++) {
    const newer = Date.parse(String(updates[n - 1]?.display_at));
    const older = Date.parse(String(updates[n]?.display_at));
    assert.ok(newer >= older, `${where}.incident_updates are newest first`);
  }
  assert.equal(updates[0]?.status, i.status, `${where}: the newest update carries the incident's status`);
  return i;
}

export function checkStatus(value: unknown, where: string): { indicator: string; description: string } {
  const s = obj(value, where);
  exactKeys(s, ['indicator', 'description'], where);
  oneOf(s.indicator, INDICATORS, `${where}.indicator`);
  const indicator = String(s.indicator);
  assert.equal(s.description, DESCRIPTIONS[indicator], `${where}.description goes with indicator ${indicator}`);
  return { indicator, description: String(s.description) };
}

/** The whole body of any v2 endpoint, checked against its shape. */
export function checkBody(path: string, value: unknown, pageId: string): Json {
  const body = obj(value, path);
  const expected = ENDPOINTS[path];
  assert.ok(expected, `${path} is a known endpoint`);
  exactKeys(body, expected, path);
  checkPage(body.page, pageId, `${path} page`);
  if ('components' in body) {
    const list = arr(body.components, `${path} components`).map((c, n) => checkComponent(c, pageId, `${path} components[${n}]`));
    const ids = new Set(list.map((c) => c.id));
    assert.equal(ids.size, list.length, `${path}: component ids are unique`);
    for (const g of list.filter((c) => c.group === true)) {
      for (const child of arr(g.components, 'group components')) {
        const member = list.find((c) => c.id === child);
        assert.ok(member, `${path}: a group's child ${String(child)} is listed`);
        assert.equal(member.group_id, g.id, `${path}: the child names its group`);
      }
    }
  }
  if ('incidents' in body) {
    arr(body.incidents, `${path} incidents`).forEach((i, n) => checkIncident(i, pageId, `${path} incidents[${n}]`));
  }
  if ('scheduled_maintenances' in body) arr(body.scheduled_maintenances, `${path} scheduled_maintenances`);
  if ('status' in body) checkStatus(body.status, `${path} status`);
  return body;
}

/** One Pharos and the helpers that read its v2 endpoints. Call start() in before() and close() in after(). */
export function apiV2World() {
  let p: TestPharos;

  const get = async (path: string) => {
    const res = await request(p.app).get(path);
    assert.notEqual(res.status, 500, `${path} must not answer 500`);
    return res;
  };
  const json = async (path: string): Promise<Json> => {
    const res = await get(path);
    assert.equal(res.status, 200, `${path} answers 200`);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    return checkBody(path, JSON.parse(res.text) as unknown, p.ctx.pageId);
  };
  const status = async () => {
    const body = await json('/api/v2/status.json');
    return checkStatus(body.status, 'status');
  };
  const incidentsOf = async (path: string) => arr((await json(path)).incidents, `${path} incidents`).map((i) => obj(i, 'incident'));

  return {
    get,
    json,
    status,
    incidentsOf,
    /** Starts this file's Pharos. */
    async start(): Promise<TestPharos> {
      p = await startPharos();
      return p;
    },
    close: () => p.close(),
  };
}

/** The components the incident suite works on, made as the components suite makes them: two, and a group of one. */
export function addComponents(p: TestPharos) {
  const api = createComponent(p.ctx, system, { name: 'API', description: 'The REST API' });
  const web = createComponent(p.ctx, system, { name: 'Web app' });
  const group = createGroup(p.ctx, system, { name: 'Messaging', description: 'Outbound mail' });
  const email = createComponent(p.ctx, system, { name: 'Email delivery', group_id: group.id });
  return { api, web, group, email };
}
