import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { csrfOf, type Agent, type TestPharos } from '../helpers/pharos.js';
import { fingerprint, startAdminWorld, type Route } from './admin-routes.js';

/** Every state-changing admin form needs its CSRF token: without it, or with a wrong one, nothing changes. */

describe('admin access control: CSRF', () => {
  let p: TestPharos;
  let admin: Agent;
  let operator: Agent;
  let routes: Route[];

  before(async () => {
    ({ p, admin, operator, routes } = await startAdminWorld());
  });
  after(() => p.close());

  it('refuses an admin POST without, or with a wrong, CSRF token and changes nothing', async () => {
    const own = csrfOf((await admin.get('/admin').expect(200)).text);
    const operatorToken = csrfOf((await operator.get('/admin').expect(200)).text);
    const anonToken = csrfOf((await request.agent(p.app).get('/admin/login').expect(200)).text);
    const tampered = (own.startsWith('A') ? 'B' : 'A') + own.slice(1);
    const cases: [string, Record<string, string | string[]>][] = [
      ['no token', {}],
      ['empty token', { _csrf: '' }],
      ['garbage token', { _csrf: 'not-a-token' }],
      ['tampered token', { _csrf: tampered }],
      ["another session's token", { _csrf: operatorToken }],
      ['an anonymous token', { _csrf: anonToken }],
      ['token repeated with a wrong one', { _csrf: [own, 'wrong'] }],
    ];
    for (const r of routes.filter((x) => x.method === 'POST')) {
      for (const [what, extra] of cases) {
        const before = fingerprint(p);
        const res = await admin
          .post(r.path)
          .type('form')
          .send({ ...r.fields, ...extra });
        assert.equal(res.status, 403, `admin POST ${r.path} with ${what}`);
        assert.match(res.text, /This form has expired or was not sent from Pharos/, `admin POST ${r.path} with ${what}`);
        assert.equal(fingerprint(p), before, `admin POST ${r.path} with ${what} changed the database`);
      }
      // A JSON body carries no form token either.
      const before = fingerprint(p);
      const json = await admin
        .post(r.path)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ _csrf: own, ...r.fields }));
      assert.equal(json.status, 403, `admin POST ${r.path} as JSON`);
      assert.equal(fingerprint(p), before, `admin POST ${r.path} as JSON changed the database`);
    }
    // Logout is a POST too: without the token the session survives.
    await admin.post('/admin/logout').type('form').send({}).expect(403);
    await admin.get('/admin').expect(200);
  });
});
