import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { addUser, csrfOf, PASSWORD, startPharos, type TestPharos } from '../helpers/pharos.js';
import { ADMIN, OPERATOR } from './admin-routes.js';

/** Login neither leaks which accounts exist nor keeps a session id planted before it, nor redirects off-site. */

/** The value a response sets for a cookie, if it sets it. */
function cookieSet(res: { headers: Record<string, unknown> }, name: string): string | undefined {
  const header = res.headers['set-cookie'];
  const list = Array.isArray(header) ? header.map(String) : typeof header === 'string' ? [header] : [];
  for (const c of list) {
    const m = new RegExp(`^${name}=([^;]*)`).exec(c);
    if (m) return m[1];
  }
  return undefined;
}

/** Resolves a Location header as a browser would, relative to the page. */
function resolvedOrigin(location: string): string {
  return new URL(location, 'http://pharos.test/admin/login').origin;
}

describe('login', () => {
  let p: TestPharos;

  before(async () => {
    p = await startPharos();
    await addUser(p, ADMIN, 'admin');
    await addUser(p, OPERATOR, 'operator');
  });
  after(() => p.close());

  it('answers a wrong password and an unknown email alike: 401, one message, the typed email kept', async () => {
    const agent = request.agent(p.app);
    const token = csrfOf((await agent.get('/admin/login').expect(200)).text);
    const sessionsBefore = p.ctx.db.prepare('SELECT COUNT(*) FROM sessions').pluck().get();

    const wrong = await agent.post('/admin/login').type('form').send({ _csrf: token, email: ADMIN, password: 'not the password at all', next: '/admin' });
    const unknown = await agent
      .post('/admin/login')
      .type('form')
      .send({ _csrf: token, email: 'nobody@example.com', password: 'not the password at all', next: '/admin' });

    for (const [what, res, email] of [
      ['wrong password', wrong, ADMIN],
      ['unknown email', unknown, 'nobody@example.com'],
    ] as const) {
      assert.equal(res.status, 401, what);
      assert.match(res.text, /Email or password is incorrect\./, what);
      assert.match(res.text, new RegExp(`name="email"[^>]*value="${email.replace(/\./g, '\\.')}"`), `${what}: the form keeps the email`);
      assert.equal(cookieSet(res, 'pharos_session'), undefined, `${what}: no session cookie`);
    }
    // Nothing in the page tells the two apart.
    assert.equal(wrong.text.replaceAll(ADMIN, 'EMAIL'), unknown.text.replaceAll('nobody@example.com', 'EMAIL'));
    assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM sessions').pluck().get(), sessionsBefore, 'no session was started');
  });

  it('refuses a login POST without the CSRF token', async () => {
    const res = await request(p.app).post('/admin/login').type('form').send({ email: ADMIN, password: PASSWORD });
    assert.equal(res.status, 403);
    assert.equal(cookieSet(res, 'pharos_session'), undefined);
  });

  it('issues a fresh session id at login, whatever session cookie was there before', async () => {
    // A value planted by someone else (session fixation): it is not adopted.
    const planted = 'planted-by-an-attacker-0123456789abcdefghijklmnop';
    const form = await request(p.app).get('/admin/login').set('Cookie', `pharos_session=${planted}`).expect(200);
    const anonCookie = cookieSet(form, 'pharos_csrf');
    assert.ok(anonCookie);
    const res = await request(p.app)
      .post('/admin/login')
      .set('Cookie', `pharos_session=${planted}; pharos_csrf=${anonCookie}`)
      .type('form')
      .send({ _csrf: csrfOf(form.text), email: OPERATOR, password: PASSWORD, next: '/admin' })
      .expect(303);
    const first = cookieSet(res, 'pharos_session');
    assert.ok(first, 'login sets a session cookie');
    const header = String(res.headers['set-cookie'] ?? '');
    assert.match(header, /pharos_session=[^;]+;[^,]*HttpOnly/i, 'the session cookie is HttpOnly');
    assert.match(header, /pharos_session=[^;]+;[^,]*SameSite=Lax/i, 'the session cookie is SameSite=Lax');
    assert.notEqual(first, planted);
    await request(p.app).get('/admin').set('Cookie', `pharos_session=${planted}`).expect(303);
    await request(p.app).get('/admin').set('Cookie', `pharos_session=${first}`).expect(200);

    // A real session from before: signing in again (here as someone else) replaces it and ends it.
    const token = csrfOf((await request(p.app).get('/admin').set('Cookie', `pharos_session=${first}`).expect(200)).text);
    const again = await request(p.app)
      .post('/admin/login')
      .set('Cookie', `pharos_session=${first}`)
      .type('form')
      .send({ _csrf: token, email: ADMIN, password: PASSWORD, next: '/admin/components' })
      .expect(303)
      .expect('Location', '/admin/components');
    const second = cookieSet(again, 'pharos_session');
    assert.ok(second, 'the second login sets a session cookie');
    assert.notEqual(second, first);
    await request(p.app).get('/admin').set('Cookie', `pharos_session=${first}`).expect(303).expect('Location', '/admin/login?next=%2Fadmin');
    const dash = await request(p.app).get('/admin').set('Cookie', `pharos_session=${second}`).expect(200);
    assert.match(dash.text, /Sign out<span class="visually-hidden"> admin@example\.com<\/span>/);
  });

  it('redirects after login only to a path on this site', async () => {
    const agent = request.agent(p.app);
    const token = csrfOf((await agent.get('/admin/login?next=%2F%2Fevil.example').expect(200)).text);
    const login = await agent.get('/admin/login?next=%2F%2Fevil.example').expect(200);
    assert.match(login.text, /name="next" value="\/admin"/, 'the form does not carry an off-site next');

    const res = await agent.post('/admin/login').type('form').send({ _csrf: token, email: OPERATOR, password: PASSWORD, next: '//evil.example' }).expect(303);
    assert.equal(res.headers.location, '/admin');

    // Signed in, the login page forwards to `next`: still only locally.
    await agent.get('/admin/login?next=%2F%2Fevil.example').expect(303).expect('Location', '/admin');
    for (const next of ['https://evil.example/', '/\\evil.example', '\\\\evil.example', '/\t/evil.example', '/%2F/evil.example', 'javascript:alert(1)']) {
      const r = await agent.get(`/admin/login?next=${encodeURIComponent(next)}`);
      assert.equal(r.status, 303, `next=${JSON.stringify(next)}`);
      assert.equal(resolvedOrigin(r.headers.location ?? ''), 'http://pharos.test', `next=${JSON.stringify(next)} → ${r.headers.location}`);
      assert.doesNotMatch(r.headers.location ?? '', /^javascript:/i);
    }
  });

  it('redirects a fresh login with an off-site next (each spelling) to /admin', async () => {
    for (const next of ['https://evil.example/', '/\\evil.example']) {
      const agent = request.agent(p.app);
      const token = csrfOf((await agent.get('/admin/login').expect(200)).text);
      const res = await agent.post('/admin/login').type('form').send({ _csrf: token, email: OPERATOR, password: PASSWORD, next }).expect(303);
      assert.equal(res.headers.location, '/admin', `next=${JSON.stringify(next)}`);
    }
  });
});
