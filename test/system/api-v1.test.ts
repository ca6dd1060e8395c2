import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { listApiKeys, revokeApiKey } from '../../server/domain/access/api-keys.js';
import { addApiKey, startPharos, type TestPharos } from '../helpers/pharos.js';
import { COMPONENT_KEYS, COMPONENT_STATUSES, IMPACTS, INCIDENT_KEYS, INCIDENT_STATUSES, UPDATE_KEYS, type Json } from '../helpers/statuspage.js';

/** The management API, in Statuspage's v1 shapes, through HTTP as automation uses it. */

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

function obj(value: unknown, where: string): Json {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${where} is an object`);
  return value as Json;
}

function arr(value: unknown, where: string): unknown[] {
  assert.ok(Array.isArray(value), `${where} is an array`);
  return value;
}

function exactKeys(o: Json, expected: string[], where: string): void {
  assert.deepEqual(Object.keys(o).sort(), [...expected].sort(), `${where} has exactly the keys ${expected.join(', ')}`);
}

function oneOf(value: unknown, allowed: string[], where: string): void {
  assert.ok(typeof value === 'string' && allowed.includes(value), `${where} is one of ${allowed.join('|')}, got ${JSON.stringify(value)}`);
}

function isoTime(value: unknown, where: string): void {
  assert.ok(typeof value === 'string' && ISO_TIME.test(value) && !Number.isNaN(Date.parse(value)), `${where} is an ISO 8601 time`);
}

function checkComponent(value: unknown, pageId: string, where: string): Json {
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

function checkIncident(value: unknown, pageId: string, where: string): Json {
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

function checkError(res: request.Response, status: number | number[], where: string): Json {
  const allowed = Array.isArray(status) ? status : [status];
  assert.ok(allowed.includes(res.status), `${where}: expected ${allowed.join(' or ')}, got ${res.status} ${res.text.slice(0, 300)}`);
  assert.match(String(res.headers['content-type']), /^application\/json/, `${where}: answers JSON`);
  const body = obj(JSON.parse(res.text) as unknown, `${where} body`);
  const error = obj(body.error, `${where} error`);
  assert.ok(typeof error.code === 'string' && error.code.length > 0, `${where}: error.code`);
  assert.ok(typeof error.message === 'string' && error.message.length > 0, `${where}: error.message`);
  return { ...error, fields: obj(error.fields, `${where} error.fields`) };
}

describe('management API v1 (Statuspage compatible)', () => {
  let p: TestPharos;
  let key = '';
  let base = '';
  const seen: { what: string; status: number }[] = [];
  const components: Record<string, string> = {};
  let incidentId = '';

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

  before(async () => {
    p = await startPharos();
    key = addApiKey(p);
    base = `/api/v1/pages/${p.ctx.pageId}`;
  });
  after(() => p.close());

  describe('authentication', () => {
    it('refuses a request without Authorization with a 401 JSON error', async () => {
      await rejected(() => call('get', '/incidents', undefined, null), 401, 'GET without a key');
      await rejected(() => call('get', '/components', undefined, null), 401, 'GET components without a key');
      await rejected(() => call('post', '/incidents', { incident: { name: 'No key' } }, null), 401, 'POST without a key');
      await rejected(() => call('get', '/incidents', undefined, 'Basic Zm9vOmJhcg=='), 401, 'Basic auth');
      await rejected(() => call('get', '/incidents', undefined, 'OAuth'), 401, 'OAuth without a key');
    });

    it('refuses a wrong key with 401', async () => {
      await rejected(() => call('get', '/incidents', undefined, 'OAuth pharos_not-a-real-key'), 401, 'wrong OAuth key');
      await rejected(() => call('get', '/incidents', undefined, `Bearer ${key}x`), 401, 'wrong Bearer key');
      await rejected(() => call('post', '/incidents', { incident: { name: 'Wrong key' } }, 'OAuth nope'), 401, 'POST with a wrong key');
    });

    it('accepts the key as "OAuth <key>" and as "Bearer <key>"', async () => {
      for (const auth of [`OAuth ${key}`, `Bearer ${key}`]) {
        const res = await call('get', '/incidents', undefined, auth);
        assert.equal(res.status, 200, auth.split(' ')[0]);
        assert.deepEqual(res.body, []);
        assert.equal((await call('get', '/components', undefined, auth)).status, 200);
      }
    });

    it('refuses a revoked key with 401', async () => {
      const revocable = addApiKey(p, 'to revoke');
      assert.equal((await call('get', '/incidents', undefined, `OAuth ${revocable}`)).status, 200, 'works before revocation');
      const id = listApiKeys(p.ctx.db).find((k) => k.name === 'to revoke')?.id;
      assert.ok(id);
      revokeApiKey(p.ctx, { type: 'system' }, id);
      await rejected(() => call('get', '/incidents', undefined, `OAuth ${revocable}`), 401, 'revoked key (OAuth)');
      await rejected(() => call('get', '/incidents', undefined, `Bearer ${revocable}`), 401, 'revoked key (Bearer)');
      await rejected(() => call('post', '/incidents', { incident: { name: 'Revoked' } }, `OAuth ${revocable}`), 401, 'POST with a revoked key');
      assert.equal((await call('get', '/incidents')).status, 200, 'the other key still works');
    });

    it('answers 404 for another page id', async () => {
      for (const [method, path] of [
        ['get', '/incidents'],
        ['get', '/components'],
      ] as const) {
        await rejected(
          async () =>
            track(
              'other page',
              await request(p.app)
                [method](`/api/v1/pages/notmypage/${path.slice(1)}`)
                .set('Authorization', `OAuth ${key}`),
            ),
          404,
          `${method} another page`,
        );
      }
      await rejected(
        async () =>
          track(
            'other page POST',
            await request(p.app)
              .post('/api/v1/pages/notmypage/incidents')
              .set('Authorization', `OAuth ${key}`)
              .send({ incident: { name: 'Elsewhere' } }),
          ),
        404,
        'POST to another page',
      );
    });
  });

  describe('components', () => {
    it('creates components with POST {"component": {...}} and lists them', async () => {
      const wanted: [string, string][] = [
        ['API', 'The REST API'],
        ['Web app', ''],
        ['Database', 'Primary cluster'],
      ];
      for (const [name, description] of wanted) {
        const res = await call('post', '/components', { component: { name, description, status: 'operational' } });
        assert.equal(res.status, 201, `create ${name}: ${res.text}`);
        const c = checkComponent(res.body, p.ctx.pageId, `created ${name}`);
        assert.equal(c.name, name);
        assert.equal(c.status, 'operational');
        assert.equal(c.description, description || null);
        components[name] = String(c.id);
      }
      const list = await call('get', '/components');
      assert.equal(list.status, 200);
      const items = arr(list.body, 'components').map((c, n) => checkComponent(c, p.ctx.pageId, `components[${n}]`));
      assert.deepEqual(
        items.map((c) => c.name),
        ['API', 'Web app', 'Database'],
      );
      const one = await call('get', `/components/${components.API}`);
      assert.equal(one.status, 200);
      assert.deepEqual(one.body, items[0]);
      await rejected(() => call('get', '/components/nope'), 404, 'GET an unknown component');
    });

    it('PATCH {"component": {"status"}} changes the status, and the v2 summary shows it', async () => {
      const id = components['Web app'] ?? '';
      const res = await call('patch', `/components/${id}`, { component: { status: 'degraded_performance' } });
      assert.equal(res.status, 200, res.text);
      const c = checkComponent(res.body, p.ctx.pageId, 'patched component');
      assert.equal(c.status, 'degraded_performance');
      assert.equal(c.name, 'Web app', 'other fields unchanged');
      assert.equal(await componentStatus(id), 'degraded_performance');
      assert.equal((await v2Component(id))?.status, 'degraded_performance');
      assert.deepEqual((await summary()).status, { indicator: 'minor', description: 'Minor Service Outage' });

      const back = await call('patch', `/components/${id}`, { component: { status: 'operational' } });
      assert.equal(back.status, 200);
      assert.equal((await v2Component(id))?.status, 'operational');
      assert.deepEqual((await summary()).status, { indicator: 'none', description: 'All Systems Operational' });
    });

    it('rejects bad component input, changing nothing', async () => {
      const id = components.API ?? '';
      await rejected(() => call('post', '/components', { component: { name: 5 } }), 422, 'component name 5', 'component.name');
      await rejected(() => call('post', '/components', { component: { name: 'X', status: 'on_fire' } }), 422, 'component status', 'component.status');
      await rejected(() => call('post', '/components', { name: 'No envelope' }), 422, 'component without envelope', 'component');
      await rejected(() => call('patch', `/components/${id}`, { component: { status: 'on_fire' } }), 422, 'PATCH component status', 'component.status');
      await rejected(() => call('patch', `/components/${id}`, { component: { name: '' } }), 422, 'PATCH component empty name', 'component.name');
      await rejected(() => call('patch', `/components/${id}`, { status: 'major_outage' }), 422, 'PATCH component without envelope', 'component');
      await rejected(() => call('patch', '/components/nope', { component: { status: 'major_outage' } }), 404, 'PATCH an unknown component');
    });
  });

  describe('incidents', () => {
    it('creates an incident with POST {"incident": {...}} → 201 and the incident', async () => {
      const api = components.API ?? '';
      const web = components['Web app'] ?? '';
      const db = components.Database ?? '';
      const res = await call('post', '/incidents', {
        incident: {
          name: 'Elevated API errors',
          status: 'investigating',
          impact_override: 'major',
          body: 'We are investigating elevated error rates.',
          component_ids: [api, web, db],
          components: { [api]: 'major_outage' },
          deliver_notifications: true,
        },
      });
      assert.equal(res.status, 201, res.text);
      const i = checkIncident(res.body, p.ctx.pageId, 'created incident');
      incidentId = String(i.id);
      assert.equal(i.name, 'Elevated API errors');
      assert.equal(i.status, 'investigating');
      assert.equal(i.impact, 'major');
      assert.equal(i.resolved_at, null);
      assert.deepEqual(
        arr(i.components, 'components')
          .map((c) => obj(c, 'c').id)
          .sort(),
        [api, web, db].sort(),
      );
      const updates = arr(i.incident_updates, 'updates').map((u) => obj(u, 'update'));
      assert.equal(updates.length, 1);
      assert.equal(updates[0]?.status, 'investigating');
      assert.equal(updates[0]?.body, 'We are investigating elevated error rates.');
      assert.equal(updates[0]?.deliver_notifications, true);
      assert.deepEqual(updates[0]?.affected_components, [{ code: api, name: 'API', old_status: 'operational', new_status: 'major_outage' }]);

      assert.equal(await componentStatus(api), 'major_outage');
      assert.equal((await v2Component(api))?.status, 'major_outage');
      const s = await summary();
      assert.deepEqual(
        arr(s.incidents, 'incidents').map((x) => obj(x, 'incident').id),
        [incidentId],
      );
      assert.deepEqual(s.status, { indicator: 'critical', description: 'Major Service Outage' });
    });

    it('GET lists incidents (an array) and GET one returns it', async () => {
      const list = await call('get', '/incidents');
      assert.equal(list.status, 200);
      const items = arr(list.body, 'incidents').map((i, n) => checkIncident(i, p.ctx.pageId, `incidents[${n}]`));
      assert.deepEqual(
        items.map((i) => i.id),
        [incidentId],
      );
      const one = await call('get', `/incidents/${incidentId}`);
      assert.equal(one.status, 200);
      assert.deepEqual(one.body, items[0]);
      await rejected(() => call('get', '/incidents/nope'), 404, 'GET an unknown incident');
    });

    it('PATCH with status and body adds an update (newest first) and changes component statuses', async () => {
      const web = components['Web app'] ?? '';
      p.clock.advance(15 * 60_000);
      const res = await call('patch', `/incidents/${incidentId}`, {
        incident: { status: 'identified', body: 'A bad deploy; rolling back.', components: { [web]: 'partial_outage' } },
      });
      assert.equal(res.status, 200, res.text);
      const i = checkIncident(res.body, p.ctx.pageId, 'patched incident');
      assert.equal(i.status, 'identified');
      const updates = arr(i.incident_updates, 'updates').map((u) => obj(u, 'update'));
      assert.deepEqual(
        updates.map((u) => [u.status, u.body]),
        [
          ['identified', 'A bad deploy; rolling back.'],
          ['investigating', 'We are investigating elevated error rates.'],
        ],
      );
      assert.deepEqual(updates[0]?.affected_components, [{ code: web, name: 'Web app', old_status: 'operational', new_status: 'partial_outage' }]);
      assert.equal(await componentStatus(web), 'partial_outage');
      assert.equal((await v2Component(web))?.status, 'partial_outage');
      assert.deepEqual((await call('get', `/incidents/${incidentId}`)).body, res.body);

      p.clock.advance(5 * 60_000);
      const bodyOnly = await call('patch', `/incidents/${incidentId}`, { incident: { body: 'Rollback half done.' } });
      assert.equal(bodyOnly.status, 200, bodyOnly.text);
      const b = checkIncident(bodyOnly.body, p.ctx.pageId, 'body only');
      assert.equal(b.status, 'identified', 'a body alone keeps the status');
      assert.deepEqual(
        arr(b.incident_updates, 'updates').map((u) => [obj(u, 'u').status, obj(u, 'u').body]),
        [
          ['identified', 'Rollback half done.'],
          ['identified', 'A bad deploy; rolling back.'],
          ['investigating', 'We are investigating elevated error rates.'],
        ],
      );

      p.clock.advance(10 * 60_000);
      const monitoring = await call('patch', `/incidents/${incidentId}`, { incident: { status: 'monitoring', body: 'Rolled back.' } });
      assert.equal(monitoring.status, 200);
      const m = checkIncident(monitoring.body, p.ctx.pageId, 'monitoring');
      assert.equal(m.monitoring_at, p.clock.now().toISOString());
      assert.deepEqual(
        arr(m.incident_updates, 'updates').map((u) => obj(u, 'update').status),
        ['monitoring', 'identified', 'identified', 'investigating'],
      );
    });

    it('PATCH with only a name edits the name without adding an update', async () => {
      const before = obj((await call('get', `/incidents/${incidentId}`)).body, 'before');
      const res = await call('patch', `/incidents/${incidentId}`, { incident: { name: 'Elevated API error rates' } });
      assert.equal(res.status, 200, res.text);
      const i = checkIncident(res.body, p.ctx.pageId, 'renamed');
      assert.equal(i.name, 'Elevated API error rates');
      assert.equal(i.status, before.status);
      assert.deepEqual(i.incident_updates, before.incident_updates, 'no update added');
      assert.equal(arr((await summary()).incidents, 'incidents').map((x) => obj(x, 'incident').name)[0], 'Elevated API error rates');
    });

    it('PATCH to resolved returns affected components to operational unless the body sets them', async () => {
      const api = components.API ?? '';
      const web = components['Web app'] ?? '';
      const db = components.Database ?? '';
      p.clock.advance(30 * 60_000);
      const res = await call('patch', `/incidents/${incidentId}`, {
        incident: { status: 'resolved', body: 'All clear.', components: { [web]: 'degraded_performance' } },
      });
      assert.equal(res.status, 200, res.text);
      const i = checkIncident(res.body, p.ctx.pageId, 'resolved');
      assert.equal(i.status, 'resolved');
      assert.equal(i.resolved_at, p.clock.now().toISOString());
      const newest = obj(arr(i.incident_updates, 'updates')[0], 'newest');
      assert.equal(newest.status, 'resolved');
      assert.equal(newest.body, 'All clear.');
      const affected = arr(newest.affected_components, 'affected').map((a) => obj(a, 'a'));
      assert.deepEqual(
        affected.sort((a, b) => String(a.code).localeCompare(String(b.code))),
        [
          { code: api, name: 'API', old_status: 'major_outage', new_status: 'operational' },
          { code: web, name: 'Web app', old_status: 'partial_outage', new_status: 'degraded_performance' },
        ].sort((a, b) => a.code.localeCompare(b.code)),
      );
      const statuses: Record<string, unknown> = Object.fromEntries(
        arr((await call('get', '/components')).body as unknown, 'components').map((c): [string, unknown] => [String(obj(c, 'c').id), obj(c, 'c').status]),
      );
      assert.deepEqual(statuses, { [api]: 'operational', [web]: 'degraded_performance', [db]: 'operational' });
      const s = await summary();
      assert.deepEqual(s.incidents, [], 'a resolved incident leaves the summary');
      assert.deepEqual(s.status, { indicator: 'minor', description: 'Minor Service Outage' });
      const all = JSON.parse((await request(p.app).get('/api/v2/incidents.json').expect(200)).text) as { incidents: Json[] };
      assert.ok(
        all.incidents.some((x) => x.id === incidentId),
        'but stays in incidents.json',
      );

      await call('patch', `/components/${web}`, { component: { status: 'operational' } });
    });

    it('DELETE removes the incident; GET is then 404', async () => {
      const res = await call('delete', `/incidents/${incidentId}`);
      assert.ok(res.status === 200 || res.status === 204, `DELETE answers 200 or 204, got ${res.status}`);
      if (res.status === 200) assert.equal(checkIncident(res.body, p.ctx.pageId, 'deleted').id, incidentId);
      await rejected(() => call('get', `/incidents/${incidentId}`), 404, 'GET a deleted incident');
      assert.deepEqual((await call('get', '/incidents')).body, []);
      assert.equal(count('incidents'), 0);
      assert.equal(count('incident_updates'), 0);
      await rejected(() => call('delete', `/incidents/${incidentId}`), 404, 'DELETE it again');
      await rejected(() => call('patch', `/incidents/${incidentId}`, { incident: { status: 'resolved' } }), 404, 'PATCH a deleted incident');
    });

    it('ignores unknown extra fields (201)', async () => {
      const res = await call('post', '/incidents', {
        incident: { name: 'Extra fields', status: 'investigating', body: 'Hi.', postmortem_body: 'x', scheduled_for: null, foo: { bar: 1 } },
        extra: true,
      });
      assert.equal(res.status, 201, res.text);
      const i = checkIncident(res.body, p.ctx.pageId, 'with extras');
      assert.equal(i.name, 'Extra fields');
      incidentId = String(i.id);
    });
  });

  describe('bad input', () => {
    const valid = () => ({ name: 'Valid', status: 'investigating', body: 'Text.' });

    it('answers malformed JSON with 400 and an error code, changing nothing', async () => {
      for (const text of ['{"incident": ', '{"incident": {"name": "x",}}', 'not json', '{"incident": {"name": "x"}}}']) {
        const error = await rejected(() => raw('post', '/incidents', text), 400, `POST ${JSON.stringify(text)}`);
        assert.equal(typeof error.code, 'string');
        await rejected(() => raw('patch', `/incidents/${incidentId}`, text), 400, `PATCH ${JSON.stringify(text)}`);
      }
    });

    it('answers a body over 1 MB with 413, changing nothing', async () => {
      const big = JSON.stringify({ incident: { ...valid(), body: 'x'.repeat(1_100_000) } });
      assert.ok(Buffer.byteLength(big) > 1024 * 1024);
      await rejected(() => raw('post', '/incidents', big), 413, 'POST over 1 MB');
      await rejected(() => raw('patch', `/incidents/${incidentId}`, big), 413, 'PATCH over 1 MB');
    });

    /** [what, the incident object (given the API component's id), the field error.fields must name]. */
    const posts: [string, (api: string) => Json, (api: string) => string][] = [
      ['name: 123', () => ({ ...valid(), name: 123 }), () => 'incident.name'],
      ['an empty name', () => ({ ...valid(), name: '   ' }), () => 'incident.name'],
      ['no name', () => ({ status: 'investigating' }), () => 'incident.name'],
      ['status: "broken"', () => ({ ...valid(), status: 'broken' }), () => 'incident.status'],
      ['impact_override: "huge"', () => ({ ...valid(), impact_override: 'huge' }), () => 'incident.impact_override'],
      ['body: 5', () => ({ ...valid(), body: 5 }), () => 'incident.body'],
      ['a component "on_fire"', (api) => ({ ...valid(), components: { [api]: 'on_fire' } }), (api) => `incident.components.${api}`],
      ['an unknown component', () => ({ ...valid(), components: { nosuchcomponent: 'major_outage' } }), () => 'incident.components.nosuchcomponent'],
      [
        'one good and one unknown component',
        (api) => ({ ...valid(), components: { [api]: 'major_outage', nosuchcomponent: 'major_outage' } }),
        () => 'incident.components.nosuchcomponent',
      ],
      ['components as a list', (api) => ({ ...valid(), components: [api] }), () => 'incident.components'],
      ['an unknown id in component_ids', () => ({ ...valid(), component_ids: ['nosuchcomponent'] }), () => 'incident.component_ids'],
      ['component_ids as text', (api) => ({ ...valid(), component_ids: api }), () => 'incident.component_ids'],
      ['deliver_notifications: "maybe"', () => ({ ...valid(), deliver_notifications: 'maybe' }), () => 'incident.deliver_notifications'],
      ['started_at: "yesterday"', () => ({ ...valid(), started_at: 'yesterday' }), () => 'incident.started_at'],
    ];
    for (const [what, make, field] of posts) {
      it(`POST with ${what} → 422 naming the field, changing nothing`, async () => {
        const api = components.API ?? '';
        await rejected(() => call('post', '/incidents', { incident: make(api) }), 422, `POST ${what}`, field(api));
      });
    }

    const patches: [string, (api: string) => Json, (api: string) => string][] = [
      ['name: 123', () => ({ name: 123 }), () => 'incident.name'],
      ['status: "broken"', () => ({ status: 'broken' }), () => 'incident.status'],
      ['a component "on_fire"', (api) => ({ status: 'identified', components: { [api]: 'on_fire' } }), (api) => `incident.components.${api}`],
      ['an unknown component', () => ({ status: 'identified', components: { nosuchcomponent: 'major_outage' } }), () => 'incident.components.nosuchcomponent'],
      [
        'a new name and an unknown component',
        () => ({ name: 'Renamed', components: { nosuchcomponent: 'major_outage' } }),
        () => 'incident.components.nosuchcomponent',
      ],
      ['an unknown id in component_ids (with a status)', () => ({ status: 'identified', component_ids: ['nosuchcomponent'] }), () => 'incident.component_ids'],
      ['an unknown id in component_ids (alone)', () => ({ component_ids: ['nosuchcomponent'] }), () => 'incident.component_ids'],
      ['an unknown id in component_ids (with a new name)', () => ({ name: 'Renamed', component_ids: ['nosuchcomponent'] }), () => 'incident.component_ids'],
    ];
    for (const [what, make, field] of patches) {
      it(`PATCH with ${what} → 422 naming the field, changing nothing`, async () => {
        const api = components.API ?? '';
        await rejected(() => call('patch', `/incidents/${incidentId}`, { incident: make(api) }), 422, `PATCH ${what}`, field(api));
      });
    }

    it('POST with the component id "__proto__" (an unknown component) → 422, changing nothing', async () => {
      const text = JSON.stringify({ incident: valid() }).replace(/}}$/, ',"components":{"__proto__":"major_outage"}}}');
      assert.match(text, /"components":\{"__proto__":"major_outage"\}/);
      await rejected(() => raw('post', '/incidents', text), 422, 'POST components.__proto__', 'incident.components.__proto__');
    });

    it('answers 40,000 bad fields with a short 422: the first 100 named, the rest counted', async () => {
      const many = Object.fromEntries(Array.from({ length: 40_000 }, (_, i) => [`n${i}`, 'partial_outage']));
      const error = await rejected(
        () => call('post', '/incidents', { incident: { ...valid(), components: many } }),
        422,
        'POST 40,000 unknown components',
        'incident.components.n0',
      );
      const res = seen.at(-1);
      assert.ok(res);
      assert.equal(Object.keys(obj(error.fields, 'fields')).length, 100);
      assert.equal(error.fields_omitted, 39_900);
      assert.ok(String(error.message).length < 300, `a short message: ${String(error.message).slice(0, 100)}`);
      assert.ok(JSON.stringify(error).length < 20_000, `${JSON.stringify(error).length} characters`);
    });

    it('answers a missing or malformed envelope with 422 naming "incident", changing nothing', async () => {
      for (const body of [valid(), { incident: 'Valid' }, { incident: null }, { incident: [valid()] }, [valid()], {}]) {
        await rejected(() => call('post', '/incidents', body), 422, `POST ${JSON.stringify(body)}`, 'incident');
        await rejected(() => call('patch', `/incidents/${incidentId}`, body), 422, `PATCH ${JSON.stringify(body)}`, 'incident');
      }
      // No JSON content type at all: there is no envelope either.
      await rejected(
        async () => track('text/plain', await request(p.app).post(`${base}/incidents`).set('Authorization', `OAuth ${key}`).type('text').send('name=x')),
        422,
        'POST text/plain',
        'incident',
      );
    });

    const undecodable: [string, 'get' | 'patch' | 'delete', (base: string) => string, unknown, string | null, number[]][] = [
      ['GET an incident', 'get', (b) => `${b}/incidents/%E0%A4%A`, undefined, 'key', [400, 404]],
      ['PATCH an incident', 'patch', (b) => `${b}/incidents/%ZZ`, { incident: { status: 'resolved' } }, 'key', [400, 404]],
      ['DELETE an incident', 'delete', (b) => `${b}/incidents/%ZZ`, undefined, 'key', [400, 404]],
      ['PATCH a component', 'patch', (b) => `${b}/components/%ZZ`, { component: { status: 'major_outage' } }, 'key', [400, 404]],
      ['GET incidents of page id "%ZZ"', 'get', () => '/api/v1/pages/%ZZ/incidents', undefined, 'key', [400, 404]],
      ['GET incidents of page id "%ZZ" without a key', 'get', () => '/api/v1/pages/%ZZ/incidents', undefined, null, [400, 401, 404]],
    ];
    for (const [what, method, path, body, auth, statuses] of undecodable) {
      it(`${what} with a path that is not valid percent-encoding → ${statuses.join('/')}, not 500`, async () => {
        await rejected(
          async () => {
            let req = request(p.app)[method](path(base));
            if (auth !== null) req = req.set('Authorization', `OAuth ${key}`);
            if (body !== undefined) req = req.send(body as object);
            return track(what, await req);
          },
          statuses,
          `${what} (${path(base)})`,
        );
      });
    }

    for (const encoding of ['gzip', 'deflate', 'br']) {
      it(`POST with Content-Encoding: ${encoding} and a body that does not decode → 400, not 500`, async () => {
        await rejected(
          async () =>
            track(
              `Content-Encoding ${encoding}`,
              await request(p.app)
                .post(`${base}/incidents`)
                .set('Authorization', `OAuth ${key}`)
                .set('Content-Type', 'application/json')
                .set('Content-Encoding', encoding)
                .send('{"incident": {"name": "not compressed"}}'),
            ),
          400,
          `POST with Content-Encoding: ${encoding} and a plain body`,
        );
      });
    }

    it('never answered 500 to any request in this file', () => {
      assert.ok(seen.length > 50, 'many requests were made');
      assert.deepEqual(
        seen.filter((s) => s.status >= 500),
        [],
      );
    });
  });
});
