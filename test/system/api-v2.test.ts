import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { Actor } from '../../server/domain/access/actors.js';
import { createGroup, type ComponentGroup } from '../../server/domain/page/groups.js';
import type { ComponentStatus } from '../../server/domain/page/status.js';
import { createComponent, updateComponent, type Component } from '../../server/domain/page/components.js';
import { createIncident, patchIncident } from '../../server/domain/incidents/writes.js';
import { startPharos, type TestPharos } from '../helpers/pharos.js';
import {
  COMPONENT_KEYS,
  COMPONENT_STATUSES,
  DESCRIPTIONS,
  IMPACTS,
  INCIDENT_KEYS,
  INCIDENT_STATUSES,
  INDICATORS,
  PAGE_KEYS,
  UPDATE_KEYS,
  type Json,
} from '../helpers/statuspage.js';

/** The public read API, checked field for field and enum for enum against Statuspage's v2. */

const system: Actor = { type: 'system' };

const AFFECTED_KEYS = ['code', 'name', 'old_status', 'new_status'];

/** Every v2 endpoint and the exact top-level keys of its body. */
const ENDPOINTS: Record<string, string[]> = {
  '/api/v2/summary.json': ['page', 'components', 'incidents', 'scheduled_maintenances', 'status'],
  '/api/v2/status.json': ['page', 'status'],
  '/api/v2/components.json': ['page', 'components'],
  '/api/v2/incidents.json': ['page', 'incidents'],
  '/api/v2/incidents/unresolved.json': ['page', 'incidents'],
  '/api/v2/scheduled-maintenances.json': ['page', 'scheduled_maintenances'],
  '/api/v2/scheduled-maintenances/upcoming.json': ['page', 'scheduled_maintenances'],
  '/api/v2/scheduled-maintenances/active.json': ['page', 'scheduled_maintenances'],
};

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function obj(value: unknown, where: string): Json {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${where} is an object`);
  return value as Json;
}

function arr(value: unknown, where: string): unknown[] {
  assert.ok(Array.isArray(value), `${where} is an array`);
  return value;
}

function str(value: unknown, where: string): string {
  assert.equal(typeof value, 'string', `${where} is a string`);
  return value as string;
}

function exactKeys(o: Json, expected: string[], where: string): void {
  assert.deepEqual(Object.keys(o).sort(), [...expected].sort(), `${where} has exactly the keys ${expected.join(', ')}`);
}

function oneOf(value: unknown, allowed: string[], where: string): void {
  assert.ok(typeof value === 'string' && allowed.includes(value), `${where} is one of ${allowed.join('|')}, got ${JSON.stringify(value)}`);
}

function isoTime(value: unknown, where: string): string {
  const s = str(value, where);
  assert.match(s, ISO_TIME, `${where} is an ISO 8601 time`);
  assert.ok(!Number.isNaN(Date.parse(s)), `${where} parses as a time`);
  return s;
}

function isoTimeOrNull(value: unknown, where: string): void {
  if (value !== null) isoTime(value, where);
}

function opaqueId(value: unknown, where: string): string {
  const s = str(value, where);
  assert.ok(s.length > 0, `${where} is not empty`);
  return s;
}

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

function checkStatus(value: unknown, where: string): { indicator: string; description: string } {
  const s = obj(value, where);
  exactKeys(s, ['indicator', 'description'], where);
  oneOf(s.indicator, INDICATORS, `${where}.indicator`);
  const indicator = String(s.indicator);
  assert.equal(s.description, DESCRIPTIONS[indicator], `${where}.description goes with indicator ${indicator}`);
  return { indicator, description: String(s.description) };
}

/** The whole body of any v2 endpoint, checked against its shape. */
function checkBody(path: string, value: unknown, pageId: string): Json {
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

describe('public API v2 (Statuspage compatible)', () => {
  let p: TestPharos;
  let group: ComponentGroup;
  let api: Component;
  let web: Component;
  let email: Component;
  let resolvedId = '';
  let openId = '';

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

  before(async () => {
    p = await startPharos();
  });
  after(() => p.close());

  it('serves every endpoint, in shape, on an empty page', async () => {
    for (const path of Object.keys(ENDPOINTS)) {
      const body = await json(path);
      if ('components' in body) assert.deepEqual(body.components, []);
      if ('incidents' in body) assert.deepEqual(body.incidents, []);
      if ('scheduled_maintenances' in body) assert.deepEqual(body.scheduled_maintenances, []);
    }
    assert.deepEqual(await status(), { indicator: 'none', description: 'All Systems Operational' });
  });

  it('lists groups and components, a group naming its children', async () => {
    api = createComponent(p.ctx, system, { name: 'API', description: 'The REST API' });
    web = createComponent(p.ctx, system, { name: 'Web app' });
    group = createGroup(p.ctx, system, { name: 'Messaging', description: 'Outbound mail' });
    email = createComponent(p.ctx, system, { name: 'Email delivery', group_id: group.id });

    for (const path of ['/api/v2/summary.json', '/api/v2/components.json']) {
      const list = arr((await json(path)).components, 'components').map((c) => obj(c, 'component'));
      assert.deepEqual(
        list.map((c) => c.id),
        [api.id, web.id, group.id, email.id],
        `${path}: page order, a group followed by its children`,
      );
      const [a, w, g, e] = list;
      assert.ok(a && w && g && e);
      assert.equal(a.name, 'API');
      assert.equal(a.description, 'The REST API');
      assert.equal(w.description, null, 'no description is null, as Statuspage sends it');
      assert.equal(a.status, 'operational');
      assert.equal(a.group, false);
      assert.equal(a.group_id, null);
      assert.equal(g.group, true);
      assert.equal(g.name, 'Messaging');
      assert.deepEqual(g.components, [email.id]);
      assert.equal(e.group, false);
      assert.equal(e.group_id, group.id);
      assert.ok(!('components' in a) && !('components' in e), 'only groups list components');
      assert.deepEqual(
        list.map((c) => c.position),
        [...list.map((c) => c.position)].sort((x, y) => Number(x) - Number(y)),
        'positions follow the list order',
      );
    }
    assert.deepEqual(await status(), { indicator: 'none', description: 'All Systems Operational' });
  });

  it('derives the indicator and description from component statuses', async () => {
    const cases: [ComponentStatus, string, string][] = [
      ['degraded_performance', 'minor', 'Minor Service Outage'],
      ['partial_outage', 'major', 'Partial System Outage'],
      ['major_outage', 'critical', 'Major Service Outage'],
      ['operational', 'none', 'All Systems Operational'],
    ];
    for (const [componentStatus, indicator, description] of cases) {
      updateComponent(p.ctx, system, web.id, { status: componentStatus });
      assert.deepEqual(await status(), { indicator, description }, `a ${componentStatus} component`);
      const summary = await json('/api/v2/summary.json');
      assert.deepEqual(summary.status, { indicator, description }, `summary.json agrees for ${componentStatus}`);
      const shown = arr(summary.components, 'components')
        .map((c) => obj(c, 'component'))
        .find((c) => c.id === web.id);
      assert.equal(shown?.status, componentStatus);
    }
    // A grouped component counts too, and its group shows it.
    updateComponent(p.ctx, system, email.id, { status: 'partial_outage' });
    assert.deepEqual(await status(), { indicator: 'major', description: 'Partial System Outage' });
    const list = arr((await json('/api/v2/components.json')).components, 'components').map((c) => obj(c, 'component'));
    assert.equal(list.find((c) => c.id === email.id)?.status, 'partial_outage');
    assert.notEqual(list.find((c) => c.id === group.id)?.status, 'operational', 'a group with an outage is not operational');
    updateComponent(p.ctx, system, email.id, { status: 'operational' });
    assert.deepEqual(await status(), { indicator: 'none', description: 'All Systems Operational' });
  });

  it('a critical incident makes the page critical; resolving it leaves unresolved.json but not incidents.json', async () => {
    const incident = createIncident(p.ctx, system, {
      name: 'Database failover',
      status: 'investigating',
      impact_override: 'critical',
      body: 'The primary database is unreachable.',
    });
    resolvedId = incident.id;
    assert.deepEqual(await status(), { indicator: 'critical', description: 'Major Service Outage' });
    const open = await incidentsOf('/api/v2/incidents/unresolved.json');
    assert.deepEqual(
      open.map((i) => i.id),
      [incident.id],
    );
    assert.equal(open[0]?.impact, 'critical');
    assert.equal(open[0]?.name, 'Database failover');
    assert.equal(open[0]?.resolved_at, null);
    const summary = await json('/api/v2/summary.json');
    assert.deepEqual(
      arr(summary.incidents, 'incidents').map((i) => obj(i, 'incident').id),
      [incident.id],
      'summary.json lists the unresolved incident',
    );

    p.clock.advance(30 * 60_000);
    patchIncident(p.ctx, system, incident.id, { status: 'resolved', body: 'Failover complete.' });
    assert.deepEqual(await status(), { indicator: 'none', description: 'All Systems Operational' });
    assert.deepEqual(await incidentsOf('/api/v2/incidents/unresolved.json'), []);
    assert.deepEqual(arr((await json('/api/v2/summary.json')).incidents, 'incidents'), [], 'summary.json lists only unresolved');
    const all = await incidentsOf('/api/v2/incidents.json');
    const resolved = all.find((i) => i.id === incident.id);
    assert.ok(resolved, 'incidents.json keeps the resolved incident');
    assert.equal(resolved.status, 'resolved');
    assert.equal(resolved.resolved_at, p.clock.now().toISOString());
    const updates = arr(resolved.incident_updates, 'updates').map((u) => obj(u, 'update'));
    assert.deepEqual(
      updates.map((u) => [u.status, u.body]),
      [
        ['resolved', 'Failover complete.'],
        ['investigating', 'The primary database is unreachable.'],
      ],
      'updates newest first',
    );
  });

  it('shows an open incident with its updates and affected components, in shape on every endpoint', async () => {
    p.clock.advance(60 * 60_000);
    const incident = createIncident(p.ctx, system, {
      name: 'Elevated API errors',
      status: 'investigating',
      body: 'We are looking into elevated error rates.',
      components: { [api.id]: 'partial_outage' },
      component_ids: [web.id, email.id],
      deliver_notifications: true,
    });
    openId = incident.id;
    p.clock.advance(10 * 60_000);
    patchIncident(p.ctx, system, incident.id, {
      status: 'identified',
      body: 'A bad deploy; rolling back.',
      components: { [web.id]: 'degraded_performance' },
      deliver_notifications: false,
    });
    p.clock.advance(10 * 60_000);
    patchIncident(p.ctx, system, incident.id, { status: 'monitoring', body: 'Rolled back; watching.' });

    for (const path of Object.keys(ENDPOINTS)) await json(path);

    assert.deepEqual(await status(), { indicator: 'major', description: 'Partial System Outage' });
    const [open] = await incidentsOf('/api/v2/incidents/unresolved.json');
    assert.ok(open);
    assert.equal(open.id, incident.id);
    assert.equal(open.status, 'monitoring');
    assert.equal(open.impact, 'major', 'impact from the worst component status the incident set');
    assert.equal(open.monitoring_at, p.clock.now().toISOString());
    assert.equal(open.resolved_at, null);
    const embedded = arr(open.components, 'components').map((c) => obj(c, 'component'));
    assert.deepEqual(embedded.map((c) => c.id).sort(), [api.id, web.id, email.id].sort());
    const updates = arr(open.incident_updates, 'updates').map((u) => obj(u, 'update'));
    assert.deepEqual(
      updates.map((u) => u.status),
      ['monitoring', 'identified', 'investigating'],
      'newest first',
    );
    assert.deepEqual(
      updates.map((u) => u.body),
      ['Rolled back; watching.', 'A bad deploy; rolling back.', 'We are looking into elevated error rates.'],
    );
    assert.equal(updates[0]?.affected_components, null, 'an update that changed no component has null');
    assert.deepEqual(updates[1]?.affected_components, [{ code: web.id, name: 'Web app', old_status: 'operational', new_status: 'degraded_performance' }]);
    assert.deepEqual(updates[2]?.affected_components, [{ code: api.id, name: 'API', old_status: 'operational', new_status: 'partial_outage' }]);
    assert.deepEqual(
      updates.map((u) => u.deliver_notifications),
      [true, false, true],
    );
    assert.deepEqual(
      updates.map((u) => u.custom_tweet),
      [null, null, null],
    );

    const all = await incidentsOf('/api/v2/incidents.json');
    assert.deepEqual(
      all.map((i) => i.id),
      [incident.id, resolvedId],
      'incidents.json: open and resolved, newest first',
    );
    const summary = await json('/api/v2/summary.json');
    assert.deepEqual(summary.incidents, (await json('/api/v2/incidents/unresolved.json')).incidents, 'summary.json incidents are the unresolved ones');
    assert.deepEqual(summary.status, (await json('/api/v2/status.json')).status);
    assert.deepEqual(summary.components, (await json('/api/v2/components.json')).components);
  });

  it("embeds an incident's components exactly as components.json lists them (position included)", async () => {
    const listed = arr((await json('/api/v2/components.json')).components, 'components').map((c) => obj(c, 'component'));
    for (const path of ['/api/v2/incidents/unresolved.json', '/api/v2/summary.json', '/api/v2/incidents.json']) {
      const open = (await incidentsOf(path)).find((i) => i.id === openId);
      assert.ok(open, `${path} lists the open incident`);
      const embedded = arr(open.components, 'components').map((c) => obj(c, 'component'));
      assert.ok(
        embedded.some((c) => c.id === email.id),
        'the grouped component is among them',
      );
      for (const c of embedded) {
        assert.deepEqual(
          c,
          listed.find((l) => l.id === c.id),
          `${path}: incident component ${String(c.name)} is the one in components.json`,
        );
      }
    }
  });

  it('sends Access-Control-Allow-Origin: * and an ETag on every GET, and 304 to If-None-Match', async () => {
    for (const path of Object.keys(ENDPOINTS)) {
      const first = await get(path);
      assert.equal(first.status, 200);
      assert.equal(first.headers['access-control-allow-origin'], '*', `${path}: CORS`);
      const etag = first.headers.etag;
      assert.ok(typeof etag === 'string' && etag.length > 2, `${path}: an ETag`);
      const again = await get(path);
      assert.equal(again.headers.etag, etag, `${path}: the same body has the same ETag`);
      assert.equal(again.text, first.text);

      const cached = await request(p.app).get(path).set('If-None-Match', etag);
      assert.equal(cached.status, 304, `${path}: If-None-Match answers 304`);
      assert.ok(!cached.text, `${path}: a 304 has no body`);
      assert.ok(cached.headers['content-length'] === undefined || cached.headers['content-length'] === '0');
      assert.equal(cached.headers['access-control-allow-origin'], '*', `${path}: CORS on 304`);

      const stale = await request(p.app).get(path).set('If-None-Match', '"something-else"');
      assert.equal(stale.status, 200, `${path}: another ETag gets the body`);
      assert.equal(stale.text, first.text);
    }
  });

  it('changes the ETag after a change', async () => {
    const before = new Map<string, { etag: string; text: string }>();
    for (const path of Object.keys(ENDPOINTS)) {
      const res = await get(path);
      before.set(path, { etag: String(res.headers.etag), text: res.text });
    }
    p.clock.advance(5 * 60_000);
    patchIncident(p.ctx, system, openId, { status: 'resolved', body: 'All clear.' });
    for (const path of Object.keys(ENDPOINTS)) {
      const was = before.get(path);
      assert.ok(was);
      const res = await request(p.app).get(path).set('If-None-Match', was.etag);
      assert.equal(res.status, 200, `${path}: the old ETag no longer matches after a change`);
      assert.notEqual(res.headers.etag, was.etag, `${path}: a new ETag`);
      assert.notEqual(res.text, was.text);
      checkBody(path, JSON.parse(res.text) as unknown, p.ctx.pageId);
    }
    const page = obj((await json('/api/v2/status.json')).page, 'page');
    assert.equal(page.updated_at, p.clock.now().toISOString(), 'page.updated_at is the time of the last change');
    assert.deepEqual(await status(), { indicator: 'none', description: 'All Systems Operational' });
  });

  it('answers an unknown endpoint with a 404 JSON error', async () => {
    for (const path of ['/api/v2/nope.json', '/api/v2/incidents/nope.json', '/api/v2/summary']) {
      const res = await get(path);
      assert.equal(res.status, 404, `${path} is 404`);
      assert.match(String(res.headers['content-type']), /^application\/json/, `${path} answers JSON`);
      const body = obj(JSON.parse(res.text) as unknown, 'body');
      exactKeys(body, ['error'], `${path} body`);
      const error = obj(body.error, 'error');
      exactKeys(error, ['code', 'message', 'fields'], `${path} error`);
      assert.ok(str(error.code, 'code').length > 0);
      assert.ok(str(error.message, 'message').length > 0);
      obj(error.fields, 'fields');
    }
    const res = await get('/api/v2/nope.json');
    assert.equal(res.headers['access-control-allow-origin'], '*', 'CORS on a 404 too');
  });
});
