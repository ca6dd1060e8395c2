import assert from 'node:assert/strict';
import request from 'supertest';
import { addApiKey, startPharos, type TestPharos } from '../helpers/pharos.js';
import {
  arr,
  COMPONENT_KEYS,
  COMPONENT_STATUSES,
  exactKeys,
  IMPACTS,
  INCIDENT_KEYS,
  INCIDENT_STATUSES,
  isoTime,
  obj,
  oneOf,
  UPDATE_KEYS,
  type Json,
} from '../helpers/statuspage.js';

/**
 * What the management API v1 suites share (the api-v1-*.test.ts files next to this one): the v1 shapes of a
 * component, an incident and an error, and a world of helpers that call the API as automation does, record
 * every answer, and check that a rejected request changed nothing. Each test file starts its own world (its
 * own Pharos and database) in its own before() and closes it in its own after().
 */

export function checkComponent(value: unknown, pageId: string, where: string): Json {
  const c = obj(value, where);
  exactKeys(c, COMPONENT_KEYS, where);
  assert.ok(typeof c.id === 'string' && c.id.length > 0, `${where}.id is an opaque string`);
  assert.equal(typeof c.name, 'string');
  oneOf(c.status, COMPONENT_STATUSES, `${where}.status`);
  isoTime(c.created_at, `${where}.created_at`);
  isoTime(c.updated_at, `${where}.updated_at`);
  assert.ok(Number.isInteger(c.position), `${where}.position is an integer`);
  assert.ok(c.description === null || typeof c.description === 'string');
  assert.equal(typeof c.showcase, 'boolean');
  assert.ok(c.start_date === null || typeof c.start_date === 'string');
  assert.ok(c.group_id === null || typeof c.group_id === 'string');
  assert.equal(c.page_id, pageId);
  assert.equal(c.group, false);
  assert.equal(typeof c.only_show_if_degraded, 'boolean');
  return c;
}

export function checkIncident(value: unknown, pageId: string, where: string): Json {
  const i = obj(value, where);
  // v1 incidents carry the v2 fields plus impact_override, as Statuspage's management API does.
  exactKeys(i, [...INCIDENT_KEYS, 'impact_override'], where);
  assert.ok(i.impact_override === null || (typeof i.impact_override === 'string' && IMPACTS.includes(i.impact_override)), `${where}.impact_override`);
  assert.ok(typeof i.id === 'string' && i.id.length > 0, `${where}.id is an opaque string`);
  assert.equal(typeof i.name, 'string');
  oneOf(i.status, INCIDENT_STATUSES, `${where}.status`);
  oneOf(i.impact, IMPACTS, `${where}.impact`);
  for (const k of ['created_at', 'updated_at', 'started_at']) isoTime(i[k], `${where}.${k}`);
  for (const k of ['monitoring_at', 'resolved_at']) if (i[k] !== null) isoTime(i[k], `${where}.${k}`);
  assert.equal(typeof i.shortlink, 'string');
  assert.equal(i.page_id, pageId);
  arr(i.components, `${where}.components`).forEach((c, n) => checkComponent(c, pageId, `${where}.components[${n}]`));
  const updates = arr(i.incident_updates, `${where}.incident_updates`).map((u, n) => {
    const update = obj(u, `${where}.incident_updates[${n}]`);
    exactKeys(update, UPDATE_KEYS, `${where}.incident_updates[${n}]`);
    oneOf(update.status, INCIDENT_STATUSES, `${where}.incident_updates[${n}].status`);
    assert.equal(update.incident_id, i.id);
    for (const k of ['created_at', 'updated_at', 'display_at']) isoTime(update[k], `${where}.incident_updates[${n}].${k}`);
    assert.equal(typeof update.deliver_notifications, 'boolean');
    if (update.affected_components !== null) {
      arr(update.affected_components, 'affected_components').forEach((a) => {
        exactKeys(obj(a, 'affected component'), ['code', 'name', 'old_status', 'new_status'], 'affected component');
      });
    }
    return update;
  });
  assert.ok(updates.length > 0, `${where} has at least one update`);
  for (let n = 1; n < updates.length; n++) {
    assert.ok(Date.parse(String(updates[n - 1]?.display_at)) >= Date.parse(String(updates[n]?.display_at)), 'updates newest first');
  }
  return i;
}

export function checkError(res: request.Response, status: number | number[], where: string): Json {
  const allowed = Array.isArray(status) ? status : [status];
  assert.ok(allowed.includes(res.status), `${where}: expected ${allowed.join(' or ')}, got ${res.status} ${res.text.slice(0, 300)}`);
  assert.match(String(res.headers['content-type']), /^application\/json/, `${where}: answers JSON`);
  const body = obj(JSON.parse(res.text) as unknown, `${where} body`);
  const error = obj(body.error, `${where} error`);
  assert.ok(typeof error.code === 'string' && error.code.length > 0, `${where}: error.code`);
  assert.ok(typeof error.message === 'string' && error.message.length > 0, `${where}: error.message`);
  return { ...error, fields: obj(error.fields, `${where} error.fields`) };
}

/** The components the incident and bad-input suites work on, created as the components suite creates them. */
export const COMPONENTS: [string, string][] = [
  ['API', 'The REST API'],
  ['Web app', ''],
  ['Database', 'Primary cluster'],
];

/** One Pharos with an API key, and the helpers that call its management API. Call start() in before() and close() in after(). */
export function apiV1World() {
  let p: TestPharos;
  let key = '';
  let base = '';
  /** Every answer the API gave in this file: none may be a 5xx (close() checks, as may a test). */
  const seen: { what: string; status: number }[] = [];
  /** Component ids by name. */
  const components: Record<string, string> = {};

  const track = (what: string, res: request.Response) => {
    seen.push({ what, status: res.status });
    assert.notEqual(res.status, 500, `${what} must not answer 500: ${res.text.slice(0, 300)}`);
    return res;
  };
  const call = async (method: 'get' | 'post' | 'patch' | 'put' | 'delete', path: string, body?: unknown, auth: string | null = `OAuth ${key}`) => {
    let req = request(p.app)[method](base + path);
    if (auth !== null) req = req.set('Authorization', auth);
    if (body !== undefined) req = req.send(body as object);
    return track(`${method.toUpperCase()} ${path}`, await req);
  };
  /** Raw text with a JSON content type: for malformed and oversized bodies. */
  const raw = async (method: 'post' | 'patch', path: string, text: string) =>
    track(
      `${method.toUpperCase()} ${path} (raw)`,
      await request(p.app)
        [method](base + path)
        .set('Authorization', `OAuth ${key}`)
        .set('Content-Type', 'application/json')
        .send(text),
    );
  const count = (table: string) => p.ctx.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
  /** Everything a rejected request must leave alone. */
  const state = async () => ({
    counts: {
      incidents: count('incidents'),
      incident_updates: count('incident_updates'),
      components: count('components'),
      incident_components: count('incident_components'),
      incident_update_components: count('incident_update_components'),
      events: count('events'),
    },
    incidents: p.ctx.db.prepare('SELECT * FROM incidents ORDER BY id').all(),
    components: p.ctx.db.prepare('SELECT * FROM components ORDER BY id').all(),
    summary: (await request(p.app).get('/api/v2/summary.json').expect(200)).text,
  });
  /** Sends a request that must be rejected with `status`, naming `field` if given, and changing nothing. */
  const rejected = async (send: () => Promise<request.Response>, status: number | number[], where: string, field?: string) => {
    const before = await state();
    const res = await send();
    const error = checkError(res, status, where);
    if (field !== undefined) {
      const fields = obj(error.fields, 'fields');
      assert.ok(field in fields, `${where}: error.fields names "${field}"; got ${JSON.stringify(fields)}`);
      assert.ok(typeof fields[field] === 'string' && fields[field].length > 0, `${where}: a message for ${field}`);
    }
    assert.deepEqual(await state(), before, `${where}: nothing changed`);
    return error;
  };
  const summary = async () => obj(JSON.parse((await request(p.app).get('/api/v2/summary.json').expect(200)).text) as unknown, 'summary');
  const componentStatus = async (id: string) => obj((await call('get', `/components/${id}`)).body as unknown, 'component').status;
  const v2Component = async (id: string) =>
    arr((await summary()).components, 'components')
      .map((c) => obj(c, 'component'))
      .find((c) => c.id === id);

  return {
    seen,
    components,
    track,
    call,
    raw,
    count,
    rejected,
    summary,
    componentStatus,
    v2Component,
    /** Starts this file's Pharos and gives it an API key. */
    async start(): Promise<{ p: TestPharos; key: string; base: string }> {
      p = await startPharos();
      key = addApiKey(p);
      base = `/api/v1/pages/${p.ctx.pageId}`;
      return { p, key, base };
    },
    /** Creates COMPONENTS through the API (all operational) and records their ids in `components`. */
    async addComponents(): Promise<void> {
      for (const [name, description] of COMPONENTS) {
        const res = await call('post', '/components', { component: { name, description, status: 'operational' } });
        assert.equal(res.status, 201, `create ${name}: ${res.text}`);
        components[name] = String(checkComponent(res.body, p.ctx.pageId, `created ${name}`).id);
      }
    },
    /** Checks that nothing in this file was answered with a 5xx, then stops the Pharos. */
    async close(): Promise<void> {
      try {
        assert.deepEqual(
          seen.filter((s) => s.status >= 500),
          [],
          'no request in this file answered 5xx',
        );
      } finally {
        await p.close();
      }
    },
  };
}
