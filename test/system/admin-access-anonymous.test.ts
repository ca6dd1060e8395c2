import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createApiKey, revokeApiKey } from '../../server/domain/access/api-keys.js';
import { adminRoutes } from '../../server/http/routes.js';
import { declaredRoutes } from '../helpers/routes.js';
import { csrfOf, type Agent, type TestPharos } from '../helpers/pharos.js';
import { AUTH_PATTERNS, fingerprint, OPERATOR, startAdminWorld, UNDECLARED, type Route, type Seeded } from './admin-routes.js';

/**
 * Who may reach which admin page, for those with no session: the route table covers every route the
 * admin routers declare; anonymous visitors, and API keys (valid or revoked), reach none of them and
 * change nothing; every refusal is written to the audit log.
 */

describe('admin access control: every admin route, refused to anonymous visitors and API keys', () => {
  let p: TestPharos;
  let operator: Agent;
  let s: Seeded;
  let routes: Route[];

  before(async () => {
    ({ p, operator, s, routes } = await startAdminWorld());
  });
  after(() => p.close());

  it('covers every route the admin routers declare', () => {
    const declared = declaredRoutes(adminRoutes(p.ctx))
      .filter((r) => !AUTH_PATTERNS.includes(r.slice(r.indexOf(' ') + 1)))
      .sort();
    const tested = routes
      .map((r) => `${r.method} ${r.pattern}`)
      .filter((r) => r !== UNDECLARED)
      .sort();
    assert.ok(declared.length > 30, 'the routers were walked');
    assert.deepEqual(tested, declared);
  });

  it('sends an anonymous GET to the login form, remembering where it was going', async () => {
    for (const r of routes.filter((x) => x.method === 'GET')) {
      const res = await request(p.app).get(r.path);
      assert.equal(res.status, 303, `GET ${r.path}`);
      assert.equal(res.headers.location, `/admin/login?next=${encodeURIComponent(r.path)}`, `GET ${r.path}`);
      assert.doesNotMatch(res.text, /Dashboard|Sign out/, `GET ${r.path} shows nothing of the admin`);
    }
    // The login form carries `next` on, and only a local path.
    const login = await request(p.app)
      .get(`/admin/login?next=${encodeURIComponent(`/admin/incidents/${s.incident}`)}`)
      .expect(200);
    assert.match(login.text, new RegExp(`name="next" value="/admin/incidents/${s.incident}"`));
  });

  it('answers an anonymous POST with 401 and changes nothing, even with a valid anonymous CSRF token', async () => {
    const anon = request.agent(p.app);
    const token = csrfOf((await anon.get('/admin/login').expect(200)).text);
    for (const r of routes.filter((x) => x.method === 'POST')) {
      for (const [who, client, csrf] of [
        ['bare', request(p.app), undefined],
        ['with anonymous token', anon, token],
      ] as const) {
        const before = fingerprint(p);
        const body = csrf ? { _csrf: csrf, ...r.fields } : { ...r.fields };
        const res = await client.post(r.path).type('form').send(body);
        assert.equal(res.status, 401, `POST ${r.path} (${who})`);
        assert.equal(fingerprint(p), before, `POST ${r.path} (${who}) changed the database`);
      }
    }
  });

  it('writes every refusal to the audit log, with the path, the status and the client address', async () => {
    // Earlier tests' anonymous refusals are still being tallied: written now, they are out of the way.
    p.ctx.refusals.flush();
    const before = p.ctx.db.prepare('SELECT COALESCE(MAX(id), 0) FROM audit_log').pluck().get() as number;
    await request(p.app).post('/admin/components').type('form').send({ name: 'x' }).expect(401);
    await operator.get('/admin/users').expect(403);
    p.ctx.refusals.flush();
    const rows = p.ctx.db.prepare("SELECT actor, subject, detail, ip FROM audit_log WHERE action = 'auth.refused' AND id > ? ORDER BY id").all(before) as {
      actor: string;
      subject: string;
      detail: string;
      ip: string;
    }[];
    assert.equal(rows.length, 2);
    const [forbidden, anonymous] = rows;
    // The operator's refusal is its own row; the anonymous one is tallied for its network and minute.
    assert.equal(forbidden?.subject, '/admin/users');
    assert.match(forbidden?.actor ?? '', new RegExp(OPERATOR));
    assert.deepEqual(JSON.parse(forbidden?.detail ?? '{}'), { status: 403, code: 'forbidden', method: 'GET' });
    assert.match(forbidden?.ip ?? '', /127\.0\.0\.1/);
    assert.equal(anonymous?.actor, 'anonymous');
    assert.equal(anonymous?.subject, '127.0.0.1');
    const tally = JSON.parse(anonymous?.detail ?? '{}') as Record<string, unknown>;
    assert.equal(tally.count, 1);
    assert.deepEqual(tally.paths, { 'POST /admin/components': 1 });
    assert.deepEqual(tally.statuses, { 401: 1 });
  });

  it('gives an API key, valid or revoked, nothing on the admin side: every route as for an anonymous visitor', async () => {
    const valid = createApiKey(p.ctx, { type: 'system' }, { name: 'valid elsewhere' }).key;
    const revoked = createApiKey(p.ctx, { type: 'system' }, { name: 'revoked' });
    revokeApiKey(p.ctx, { type: 'system' }, revoked.apiKey.id);
    for (const key of [valid, revoked.key]) {
      for (const r of routes) {
        const before = fingerprint(p);
        const res =
          r.method === 'GET'
            ? await request(p.app).get(r.path).set('Authorization', `OAuth ${key}`)
            : await request(p.app)
                .post(r.path)
                .set('Authorization', `Bearer ${key}`)
                .type('form')
                .send({ ...r.fields });
        assert.equal(res.status, r.method === 'GET' ? 303 : 401, `${r.method} ${r.path}`);
        if (r.method === 'GET') assert.match(String(res.headers.location), /^\/admin\/login/);
        assert.equal(fingerprint(p), before, `${r.method} ${r.path} changed the database`);
      }
    }
  });

  it('answers an anonymous JSON client with a JSON 401', async () => {
    const res = await request(p.app).post('/admin/components').set('Accept', 'application/json').send({ name: 'x' });
    assert.equal(res.status, 401);
    assert.equal((res.body as { error?: { code?: string } }).error?.code, 'unauthorized');
  });
});
