import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { listApiKeys, revokeApiKey } from '../../server/domain/access/api-keys.js';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { importCsv } from '../../server/domain/subscribers/import-export.js';
import { v1Routes } from '../../server/http/api/v1.js';
import { declaredRoutes } from '../helpers/routes.js';
import { addApiKey, addUser, signIn, startPharos, type Agent, type TestPharos } from '../helpers/pharos.js';

const system = { type: 'system' } as const;
type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

/** Every row of the tables the API writes, to show that a refused request changed nothing. */
const fingerprint = (p: TestPharos) =>
  JSON.stringify(
    ['components', 'incidents', 'incident_updates', 'incident_components', 'events', 'deliveries', 'subscribers', 'endpoints'].map((t) =>
      p.ctx.db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all(),
    ),
  );

/** The management API's authorization matrix: every route × who asks. */
describe('management API access', () => {
  let p: TestPharos;
  let key: string;
  let revoked: string;
  let admin: Agent;
  let routes: { method: Method; pattern: string; path: string; body?: unknown }[];

  before(async () => {
    p = await startPharos();
    await addUser(p, 'admin@example.com', 'admin');
    admin = await signIn(p, 'admin@example.com');
    key = addApiKey(p, 'automation');
    revoked = addApiKey(p, 'revoked');
    revokeApiKey(p.ctx, { type: 'system' }, listApiKeys(p.ctx.db).find((k) => k.name === 'revoked')?.id ?? '');
    const component = createComponent(p.ctx, system, { name: 'API' });
    const spare = createComponent(p.ctx, system, { name: 'Spare' });
    const incident = createIncident(p.ctx, system, { name: 'Attack', components: { [component.id]: 'major_outage' }, deliver_notifications: false });
    const doomed = createIncident(p.ctx, system, { name: 'Doomed', deliver_notifications: false });
    const base = `/api/v1/pages/${p.ctx.pageId}`;
    importCsv(p.ctx, system, 'reader@example.com', true);
    const reader = p.ctx.db.prepare('SELECT id FROM subscribers').pluck().get() as string;
    routes = [
      { method: 'get', pattern: 'GET /incidents', path: `${base}/incidents` },
      { method: 'post', pattern: 'POST /incidents', path: `${base}/incidents`, body: { incident: { name: 'Injected' } } },
      { method: 'get', pattern: 'GET /incidents/:incident_id', path: `${base}/incidents/${incident.id}` },
      { method: 'patch', pattern: 'PATCH /incidents/:incident_id', path: `${base}/incidents/${incident.id}`, body: { incident: { status: 'resolved' } } },
      { method: 'put', pattern: 'PUT /incidents/:incident_id', path: `${base}/incidents/${incident.id}`, body: { incident: { name: 'Renamed' } } },
      { method: 'delete', pattern: 'DELETE /incidents/:incident_id', path: `${base}/incidents/${doomed.id}` },
      { method: 'get', pattern: 'GET /components', path: `${base}/components` },
      { method: 'post', pattern: 'POST /components', path: `${base}/components`, body: { component: { name: 'Injected' } } },
      { method: 'get', pattern: 'GET /components/:component_id', path: `${base}/components/${component.id}` },
      {
        method: 'patch',
        pattern: 'PATCH /components/:component_id',
        path: `${base}/components/${component.id}`,
        body: { component: { status: 'degraded_performance' } },
      },
      { method: 'put', pattern: 'PUT /components/:component_id', path: `${base}/components/${component.id}`, body: { component: { name: 'Renamed' } } },
      { method: 'delete', pattern: 'DELETE /components/:component_id', path: `${base}/components/${spare.id}` },
      { method: 'get', pattern: 'GET /subscribers', path: `${base}/subscribers?type=webhook` },
      {
        method: 'post',
        pattern: 'POST /subscribers',
        path: `${base}/subscribers`,
        body: { subscriber: { email: 'mallory@example.com' } },
      },
      { method: 'get', pattern: 'GET /subscribers/:id', path: `${base}/subscribers/${reader}` },
      { method: 'delete', pattern: 'DELETE /subscribers/:id', path: `${base}/subscribers/${reader}` },
    ];
  });
  after(() => p.close());

  it('covers every route the v1 router declares', () => {
    assert.deepEqual(routes.map((r) => r.pattern).sort(), declaredRoutes(v1Routes(p.ctx)).sort());
  });

  for (const [who, auth] of [
    ['anonymous', undefined],
    ['a revoked key', 'revoked'],
    ['a wrong key', 'pharos_not-a-key'],
    ['a signed-in admin without a key (cookies do not count)', 'cookie'],
  ] as const) {
    it(`refuses ${who} on every route with a JSON 401, changing nothing`, async () => {
      for (const r of routes) {
        const before = fingerprint(p);
        const client = auth === 'cookie' ? admin : request(p.app);
        let req = client[r.method](r.path).set('Accept', 'application/json');
        if (auth && auth !== 'cookie') req = req.set('Authorization', `OAuth ${auth === 'revoked' ? revoked : auth}`);
        const res = await (r.body ? req.send(r.body) : req);
        assert.equal(res.status, 401, `${who}: ${r.pattern}`);
        assert.equal((res.body as { error?: { code?: string } } | undefined)?.error?.code, 'unauthorized', `${who}: ${r.pattern}`);
        assert.equal(fingerprint(p), before, `${who}: ${r.pattern} changed the database`);
      }
    });
  }

  it('lets a valid key do everything (OAuth and Bearer)', async () => {
    for (const [i, r] of routes.entries()) {
      const req = request(p.app)
        [r.method](r.path)
        .set('Authorization', `${i % 2 ? 'Bearer' : 'OAuth'} ${key}`);
      const res = await (r.body ? req.send(r.body) : req);
      assert.ok(res.status >= 200 && res.status < 300, `${r.pattern}: ${res.status} ${res.text.slice(0, 200)}`);
    }
  });

  it('does not let an API key into the admin side', async () => {
    for (const path of ['/admin', '/admin/users', '/admin/api-keys']) {
      const res = await request(p.app).get(path).set('Authorization', `OAuth ${key}`);
      assert.equal(res.status, 303, path);
      assert.match(String(res.headers.location), /^\/admin\/login/);
    }
    await request(p.app).post('/admin/components').set('Authorization', `OAuth ${key}`).type('form').send({ name: 'x' }).expect(401);
  });
});
