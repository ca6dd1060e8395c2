import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createApp } from '../../server/http/app.js';
import { createLog } from '../../server/log.js';
import type { TestPharos } from '../helpers/pharos.js';
import { arr, obj, type Json } from '../helpers/statuspage.js';
import { apiV1World, checkComponent, checkIncident } from './api-v1-world.js';

/**
 * What real Statuspage automation sends, as it sends it: `.json` paths, form-encoded bodies (Statuspage's
 * own curl examples, `-d "incident[name]=…"`), and the key as `?api_key=` — which never reaches a log.
 */

describe('management API v1: what Statuspage automation sends', () => {
  const w = apiV1World();
  const { components, call, rejected, track } = w;
  let p: TestPharos;
  let key = '';
  let base = '';

  before(async () => {
    ({ p, key, base } = await w.start());
    await w.addComponents();
  });
  after(() => w.close());

  /** A body as curl -d sends it: the fields joined with &, brackets as typed. */
  const form = async (method: 'post' | 'patch' | 'put', path: string, fields: string[], auth = `OAuth ${key}`) =>
    track(
      `${method.toUpperCase()} ${path} (form)`,
      await request(p.app)
        [method](base + path)
        .set('Authorization', auth)
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .send(fields.join('&')),
    );
  /** What an incident's answer says, less what two incidents never share. */
  const essence = (value: unknown) => {
    const i = obj(value, 'incident');
    return {
      name: i.name,
      status: i.status,
      impact: i.impact,
      impact_override: i.impact_override,
      components: arr(i.components, 'components').map((c) => ({ id: obj(c, 'c').id, status: obj(c, 'c').status })),
      updates: arr(i.incident_updates, 'updates').map((u) => {
        const { status, body, deliver_notifications, affected_components } = obj(u, 'update');
        return { status, body, deliver_notifications, affected_components };
      }),
    };
  };

  describe('.json paths', () => {
    it('answers every path with the .json suffix as without it', async () => {
      const api = components.API ?? '';
      const created = await call('post', '/incidents.json', { incident: { name: 'Suffixed', deliver_notifications: false } });
      assert.equal(created.status, 201, created.text);
      const id = String(checkIncident(created.body, p.ctx.pageId, 'created').id);
      for (const path of [
        '/incidents',
        `/incidents/${id}`,
        '/incidents/unresolved',
        '/components',
        `/components/${api}`,
        '/subscribers',
        '/component-groups',
      ]) {
        const plain = await call('get', path);
        const suffixed = await call('get', `${path}.json`);
        assert.equal(plain.status, 200, `${path}: ${plain.text.slice(0, 200)}`);
        assert.equal(suffixed.status, 200, `${path}.json: ${suffixed.text.slice(0, 200)}`);
        assert.deepEqual(suffixed.body, plain.body, path);
      }
      const page = await request(p.app).get(`/api/v1/pages/${p.ctx.pageId}.json`).set('Authorization', `OAuth ${key}`);
      assert.equal(page.status, 200, page.text);
      assert.equal(obj(page.body, 'page').id, p.ctx.pageId);
      const pages = await request(p.app).get('/api/v1/pages.json').set('Authorization', `OAuth ${key}`);
      assert.deepEqual(pages.body, [page.body]);
      const patched = await call('patch', `/incidents/${id}.json`, { incident: { status: 'resolved', deliver_notifications: false } });
      assert.equal(obj(patched.body, 'patched').status, 'resolved');
      assert.equal((await call('delete', `/incidents/${id}.json`)).status, 200);
      assert.equal((await call('get', `/incidents/${id}.json`)).status, 404);
    });

    it('still refuses without a key, and answers 404 JSON for an unknown .json path', async () => {
      await rejected(() => call('get', '/incidents.json', undefined, null), 401, 'no key, .json');
      await rejected(() => call('get', '/nothing-here.json'), 404, 'unknown path');
      await rejected(() => call('get', '/incidents/unknown.json'), 404, 'unknown incident');
    });
  });

  describe('form-encoded bodies', () => {
    it("creates Statuspage's documented curl example as the JSON body would", async () => {
      const db = components.Database ?? '';
      // curl https://api.statuspage.io/v1/pages/PAGE/incidents.json -H "Authorization: OAuth KEY" -X POST \
      //   -d "incident[name]=Database outage" -d "incident[status]=identified" -d "incident[components][ID]=major_outage"
      const viaForm = await form('post', '/incidents.json', [
        'incident[name]=Database outage',
        'incident[status]=identified',
        `incident[components][${db}]=major_outage`,
        'incident[deliver_notifications]=false',
      ]);
      assert.equal(viaForm.status, 201, viaForm.text);
      const formed = checkIncident(viaForm.body, p.ctx.pageId, 'form incident');
      assert.equal(formed.name, 'Database outage');
      assert.equal(formed.status, 'identified');
      assert.equal(await w.componentStatus(db), 'major_outage');
      assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM deliveries').pluck().get(), 0, 'deliver_notifications=false was a boolean false');
      await call('patch', `/components/${db}`, { component: { status: 'operational' } });

      const viaJson = await call('post', '/incidents.json', {
        incident: { name: 'Database outage', status: 'identified', components: { [db]: 'major_outage' }, deliver_notifications: false },
      });
      assert.equal(viaJson.status, 201, viaJson.text);
      assert.deepEqual(essence(viaForm.body), essence(viaJson.body));
      for (const r of [viaForm, viaJson])
        await call('patch', `/incidents/${String(obj(r.body, 'i').id)}`, { incident: { status: 'resolved', deliver_notifications: false } });
    });

    it('takes lists (component_ids[]), percent-encoded brackets and a JSON-less PATCH of an incident and a component', async () => {
      const api = components.API ?? '';
      const web = components['Web app'] ?? '';
      const created = await form('post', '/incidents', [
        'incident%5Bname%5D=API+errors',
        `incident[component_ids][]=${api}`,
        `incident[component_ids][]=${web}`,
        'incident[impact_override]=minor',
        'incident[deliver_notifications]=false',
      ]);
      assert.equal(created.status, 201, created.text);
      const i = checkIncident(created.body, p.ctx.pageId, 'created');
      assert.equal(i.name, 'API errors');
      assert.equal(i.impact, 'minor');
      assert.deepEqual(
        arr(i.components, 'components')
          .map((c) => obj(c, 'c').id)
          .sort(),
        [api, web].sort(),
      );

      const patched = await form('patch', `/incidents/${String(i.id)}.json`, [
        'incident[status]=monitoring',
        'incident[body]=A fix is deployed.',
        `incident[components][${api}]=degraded_performance`,
        'incident[deliver_notifications]=false',
      ]);
      assert.equal(patched.status, 200, patched.text);
      const after = checkIncident(patched.body, p.ctx.pageId, 'patched');
      assert.equal(after.status, 'monitoring');
      assert.equal(obj(arr(after.incident_updates, 'u')[0], 'newest').body, 'A fix is deployed.');
      assert.equal(await w.componentStatus(api), 'degraded_performance');

      const component = await form('put', `/components/${web}.json`, ['component[status]=partial_outage', 'component[showcase]=false']);
      assert.equal(component.status, 200, component.text);
      const c = checkComponent(component.body, p.ctx.pageId, 'component');
      assert.equal(c.status, 'partial_outage');
      assert.equal(c.showcase, false);
      await form('patch', `/components/${web}`, ['component[status]=operational', 'component[showcase]=true']);
      await form('patch', `/incidents/${String(i.id)}`, ['incident[status]=resolved', 'incident[deliver_notifications]=false']);
    });

    it('creates a maintenance window from a form, its minutes and flags typed', async () => {
      const created = await form('post', '/incidents', [
        'incident[name]=Switch swap',
        'incident[scheduled_for]=2026-12-10T01:00:00Z',
        'incident[scheduled_until]=2026-12-10T03:00:00Z',
        'incident[scheduled_remind_prior]=false',
        'incident[scheduled_auto_in_progress]=false',
        'incident[deliver_notifications]=false',
      ]);
      assert.equal(created.status, 201, created.text);
      const m = obj(created.body, 'window');
      assert.equal(m.status, 'scheduled');
      assert.equal(m.scheduled_remind_prior, false);
      assert.equal(m.scheduled_auto_in_progress, false);
      assert.equal((await call('delete', `/incidents/${String(m.id)}`)).status, 200);
    });

    it('refuses bad form input with 422 naming the field inside the envelope, changing nothing', async () => {
      await rejected(() => form('post', '/incidents', ['incident[status]=identified']), 422, 'no name', 'incident.name');
      await rejected(
        () => form('post', '/incidents', ['incident[name]=X', 'incident[deliver_notifications]=maybe']),
        422,
        'flag',
        'incident.deliver_notifications',
      );
      await rejected(
        () => form('post', '/incidents', ['incident[name]=X', 'incident[components][nope]=major_outage']),
        422,
        'unknown',
        'incident.components.nope',
      );
      await rejected(() => form('post', '/incidents', ['incident[name]=X', `incident[components][${components.API ?? ''}]=down`]), 422, 'bad status');
      await rejected(() => form('post', '/incidents', ['name=X']), 422, 'no envelope', 'incident');
      await rejected(() => form('post', '/components', ['component[name]=']), 422, 'empty component name', 'component.name');
      const deep = await rejected(() => form('post', '/incidents', ['incident[a][b][c][d][e][f][g]=deep']), 400, 'too deep');
      assert.equal(deep.code, 'form_too_deep');
      const fields = Array.from({ length: 1001 }, (_, n) => `incident[f${n}]=x`);
      const many = await rejected(() => form('post', '/incidents', fields), 413, 'too many fields');
      assert.equal(many.code, 'too_many_fields');
      const listed = await form('post', '/incidents', ['incident[name]=Indexed', 'incident[component_ids][99999]=x', 'incident[deliver_notifications]=false']);
      assert.equal(listed.status, 422, 'an index far out is an object key, not a sparse list of 100,000');
      assert.ok('incident.component_ids' in obj(obj(obj(listed.body, 'body').error, 'error').fields, 'fields'), listed.text);
    });

    it('reads no form without a key: 401 before the body', async () => {
      await rejected(() => form('post', '/incidents', ['incident[name]=Anonymous'], 'OAuth wrong'), 401, 'wrong key');
    });
  });

  describe('?api_key=', () => {
    it('authenticates with the key in the query string, as with the header', async () => {
      const res = track('api_key', await request(p.app).get(`${base}/incidents.json?api_key=${encodeURIComponent(key)}&per_page=1`));
      assert.equal(res.status, 200, res.text);
      assert.ok(Array.isArray(res.body));
      const created = track(
        'api_key POST',
        await request(p.app)
          .post(`${base}/components.json?api_key=${encodeURIComponent(key)}`)
          .type('form')
          .send('component[name]=Queried'),
      );
      assert.equal(created.status, 201, created.text);
      assert.equal((await call('delete', `/components/${String(obj(created.body, 'c').id)}`)).status, 204);
    });

    it('refuses a wrong, empty or repeated query key with a JSON 401 "Could not authenticate"', async () => {
      for (const query of ['api_key=pharos_wrong', 'api_key=', `api_key=${key}&api_key=${key}`]) {
        const error = await rejected(async () => track(query, await request(p.app).get(`${base}/incidents?${query}`)), 401, query);
        assert.match(String(error.message), /^Could not authenticate/);
      }
      // A header, when there is one, is the credential: a bad header is not saved by a good query key.
      await rejected(
        async () => track('bad header', await request(p.app).get(`${base}/incidents?api_key=${key}`).set('Authorization', 'Basic Zm9vOmJhcg==')),
        401,
        'bad header, good query',
      );
    });

    it('never writes the key to the request log nor to the audit log', async () => {
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      });
      const app = createApp({ ...p.ctx, log: createLog('info', sink) });
      const wrong = 'pharos_wrong-key-in-the-query-0123456789';
      await request(app)
        .get(`${base}/incidents.json?api_key=${encodeURIComponent(key)}`)
        .expect(200);
      await request(app)
        .post(`${base}/components?api_key=${encodeURIComponent(key)}`)
        .type('form')
        .send('component[name]=Logged')
        .expect(201);
      await request(app).get(`${base}/incidents?api_key=${wrong}`).expect(401);
      await request(app)
        .get(`${base}/nothing?api_key=${encodeURIComponent(key)}`)
        .expect(404);
      p.ctx.refusals.flush(true);
      const log = lines.join('');
      const requests = lines.map((l) => JSON.parse(l) as Json).filter((l) => l.msg === 'request');
      assert.equal(requests.length, 4, log);
      assert.deepEqual(
        requests.map((r) => r.path),
        [`${base}/incidents.json`, `${base}/components`, `${base}/incidents`, `${base}/nothing`],
      );
      for (const secret of [key, encodeURIComponent(key), wrong, key.slice(-16), wrong.slice(-16)]) {
        assert.ok(!log.includes(secret), `the request log holds ${secret.slice(0, 8)}…`);
        const audit = p.ctx.db.prepare("SELECT COUNT(*) FROM audit_log WHERE subject || detail || actor LIKE '%' || ? || '%'").pluck().get(secret);
        assert.equal(audit, 0, `the audit log holds ${secret.slice(0, 8)}…`);
      }
      assert.ok(
        (p.ctx.db.prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.refused'").pluck().get() as number) > 0,
        'the refusal itself was audited',
      );
    });
  });
});
