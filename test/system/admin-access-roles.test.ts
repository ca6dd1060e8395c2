import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { confirmAccess, csrfOf, PASSWORD, signIn, submit, type Agent, type TestPharos } from '../helpers/pharos.js';
import { fingerprint, startAdminWorld, VICTIM, type Route, type Seeded } from './admin-routes.js';

/**
 * Who may reach which admin page, once signed in: operators the incident pages, admins everything; a
 * change of role, or a deletion, applies to a signed-in user at their next request.
 */

describe('admin access control: operators, admins and changes of role', () => {
  let p: TestPharos;
  let admin: Agent;
  let operator: Agent;
  let s: Seeded;
  let routes: Route[];

  before(async () => {
    ({ p, admin, operator, s, routes } = await startAdminWorld());
  });
  after(() => p.close());

  it('refuses an operator every admin-only page with 403', async () => {
    for (const r of routes.filter((x) => x.method === 'GET' && x.adminOnly)) {
      const res = await operator.get(r.path);
      assert.equal(res.status, 403, `operator GET ${r.path}`);
      assert.match(res.text, /Only admins can do this/, `operator GET ${r.path}`);
    }
  });

  it('refuses an operator every admin-only action with 403 (with a valid CSRF token) and changes nothing', async () => {
    const token = csrfOf((await operator.get('/admin').expect(200)).text);
    for (const r of routes.filter((x) => x.method === 'POST' && x.adminOnly)) {
      const before = fingerprint(p);
      const res = await operator
        .post(r.path)
        .type('form')
        .send({ _csrf: token, ...r.fields });
      assert.equal(res.status, 403, `operator POST ${r.path}`);
      assert.match(res.text, /Only admins can do this/, `operator POST ${r.path}: refused for the role, not for the token`);
      assert.equal(fingerprint(p), before, `operator POST ${r.path} changed the database`);
    }
    const role = p.ctx.db.prepare('SELECT role FROM users WHERE id = ?').pluck().get(s.operatorId);
    assert.equal(role, 'operator', 'the operator did not promote themselves');
  });

  it('refuses an operator admin-only pages however the path is spelled', async () => {
    for (const path of ['/admin/components/', '/admin/Components', '/ADMIN/USERS', '/admin/users?x=1', '/admin/api-keys/', '/admin/SETTINGS']) {
      const res = await operator.get(path);
      assert.ok(res.status === 403 || res.status === 404, `operator GET ${path} answered ${res.status}`);
      assert.doesNotMatch(res.text, /victim@example\.com|PAGE_NAME|Create a key|Add component/, `operator GET ${path} leaked an admin page`);
    }
  });

  it('hides the admin-only navigation from an operator', async () => {
    const dash = await operator.get('/admin').expect(200);
    assert.doesNotMatch(dash.text, /href="\/admin\/(components|users|api-keys|settings)"/);
  });

  it('shows an operator every incident page', async () => {
    for (const r of routes.filter((x) => x.method === 'GET' && !x.adminOnly)) {
      const res = await operator.get(r.path);
      assert.equal(res.status, r.path === '/admin/keepalive' ? 204 : r.leadsTo ? 303 : 200, `operator GET ${r.path}`);
      if (r.leadsTo) assert.equal(res.headers.location, r.leadsTo, `operator GET ${r.path}`);
    }
  });

  it('shows an admin every page', async () => {
    // Lists of personal data ask for the password first (tested in reauth.test.ts).
    await confirmAccess(admin);
    for (const r of routes.filter((x) => x.method === 'GET')) {
      const res = await admin.get(r.path);
      if (r.path === '/admin/keepalive') {
        assert.equal(res.status, 204, 'the keepalive answers nothing');
        continue;
      }
      // A draft's previews are its public page and its mail, shown in frames of the admin's preview page.
      if (/\/preview\/(page|mail)$/.test(r.path)) {
        assert.equal(res.status, 200, `admin GET ${r.path}`);
        assert.match(res.text, /Notice being written/, `admin GET ${r.path}`);
        continue;
      }
      // A POST-only target: the page its form is on (admin-form-targets.test.ts follows each).
      if (r.leadsTo) {
        assert.equal(res.status, 303, `admin GET ${r.path}`);
        assert.equal(res.headers.location, r.leadsTo, `admin GET ${r.path}`);
        continue;
      }
      assert.equal(res.status, 200, `admin GET ${r.path}`);
      // A template helper shadowing a data field renders as "[object Object]".
      assert.doesNotMatch(res.text, /\[object Object\]/, `admin GET ${r.path}`);
      if (r.path.endsWith('.csv')) assert.match(res.text, /^(email,state,|at,actor,action,)/, `admin GET ${r.path}`);
      else assert.match(res.text, /Sign out<span class="visually-hidden"> admin@example\.com<\/span>/, `admin GET ${r.path}`);
    }
  });

  it('lets an operator create an incident and post an update', async () => {
    const created = await operator
      .post('/admin/incidents')
      .type('form')
      .send({
        _csrf: csrfOf((await operator.get('/admin/incidents/new').expect(200)).text),
        name: 'Operator incident',
        status: 'investigating',
        body: 'Posted by an operator.',
        [`components.${s.groupedComponent}`]: 'degraded_performance',
      });
    assert.equal(created.status, 303);
    const id = p.ctx.db.prepare("SELECT id FROM incidents WHERE name = 'Operator incident'").pluck().get() as string | undefined;
    assert.ok(id, 'the incident exists');
    assert.equal(created.headers.location, `/admin/incidents/${id}`);

    const page = await operator.get(`/admin/incidents/${id}`).expect(200);
    const updated = await operator
      .post(`/admin/incidents/${id}/updates`)
      .type('form')
      .send({ _csrf: csrfOf(page.text), status: 'identified', body: 'The operator found it.' });
    assert.equal(updated.status, 303);
    const bodies = p.ctx.db.prepare('SELECT body FROM incident_updates WHERE incident_id = ? ORDER BY rowid').pluck().all(id);
    assert.deepEqual(bodies, ['Posted by an operator.', 'The operator found it.']);
    const status = p.ctx.db.prepare('SELECT status FROM incidents WHERE id = ?').pluck().get(id);
    assert.equal(status, 'identified');
    const author = p.ctx.db.prepare('SELECT author FROM incident_updates WHERE incident_id = ? ORDER BY rowid DESC').pluck().get(id);
    assert.equal(author, 'operator');
  });

  it('applies a change of role, or a deletion, to a signed-in user at their next request', async () => {
    const promote = await submit(admin, '/admin/users', `/admin/users/${s.victimId}/role`, { role: 'admin', confirm_password: PASSWORD });
    assert.equal(promote.status, 303);
    let victim = await signIn(p, VICTIM);
    await victim.get('/admin/users').expect(200);
    const token = csrfOf((await victim.get('/admin').expect(200)).text);

    // A change of role ends the user's sessions: the admin session cannot act any more.
    const demote = await submit(admin, '/admin/users', `/admin/users/${s.victimId}/role`, { role: 'operator', confirm_password: PASSWORD });
    assert.equal(demote.status, 303);
    await victim.get('/admin/users').expect(303).expect('Location', '/admin/login?next=%2Fadmin%2Fusers');
    const before = fingerprint(p);
    await victim.post('/admin/api-keys').type('form').send({ _csrf: token, name: 'after demotion' }).expect(401);
    assert.equal(fingerprint(p), before);
    // Signed in again, with the new role.
    victim = await signIn(p, VICTIM);
    await victim.get('/admin/users').expect(403);
    await victim.get('/admin').expect(200);

    const confirm = await admin.get(`/admin/users/${s.victimId}/delete`).expect(200);
    await admin
      .post(`/admin/users/${s.victimId}/delete`)
      .type('form')
      .send({ _csrf: csrfOf(confirm.text), confirm_password: PASSWORD })
      .expect(303);
    await victim.get('/admin').expect(303).expect('Location', '/admin/login?next=%2Fadmin');
    await victim.post(`/admin/incidents/${s.incident}/updates`).type('form').send({ _csrf: token, body: 'ghost' }).expect(401);
  });
});
