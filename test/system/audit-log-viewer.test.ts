import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { addUser, advanceActive, confirmAccess, csrfOf, PASSWORD, signIn, startPharos, type Agent, type TestPharos } from '../helpers/pharos.js';

/** The audit log as admins read it: filtered, paged, exported. */
describe('the audit log viewer', () => {
  let p: TestPharos;
  let admin: Agent;
  before(async () => {
    p = await startPharos();
    await addUser(p, 'admin@example.com', 'admin');
    await addUser(p, 'op@example.com', 'operator');
    // A failed sign-in of a real account and one with hostile text for an address, then real ones.
    const stranger = request.agent(p.app);
    const page = await stranger.get('/admin/login').expect(200);
    await stranger
      .post('/admin/login')
      .type('form')
      .send({ _csrf: csrfOf(page.text), email: 'admin@example.com', password: 'nope' })
      .expect(401);
    await stranger
      .post('/admin/login')
      .type('form')
      .send({ _csrf: csrfOf(page.text), email: '=HYPERLINK("x")<script>alert(1)</script>', password: 'nope' })
      .expect(401);
    admin = await signIn(p, 'admin@example.com');
    const operator = await signIn(p, 'op@example.com');
    await operator.get('/admin/users').expect(403);
    // Hostile text an admin typed: an API key's name.
    const keys = await admin.get('/admin/api-keys').expect(200);
    await admin
      .post('/admin/api-keys')
      .type('form')
      .send({ _csrf: csrfOf(keys.text), name: '=HYPERLINK("x")<script>alert(1)</script>', confirm_password: PASSWORD })
      .expect(201);
  });
  after(() => p.close());

  it('lists sign-ins, failures and refusals, newest first, with who, what and the address; hostile text shown as text', async () => {
    const res = await admin.get('/admin/audit').expect(200);
    const actions = [...res.text.matchAll(/<td data-label="Action"><code>([\w.]+)<\/code><\/td>/g)].map((m) => m[1]);
    // The failed sign-ins, tallied for the minute, are written when the log is read: the newest row.
    // Oldest: the two accounts the test set up, created (and audited) as any account is.
    assert.deepEqual(actions, ['auth.login_failed', 'api_key.created', 'auth.refused', 'auth.signed_in', 'auth.signed_in', 'user.created', 'user.created']);
    assert.match(res.text, /&quot;count&quot;:2/);
    assert.match(res.text, /admin@example\.com&quot;:1/, 'the account attacked is named');
    assert.match(res.text, /unknown account [\w-]{12}&quot;:1/, 'what else was typed is not stored');
    assert.match(res.text, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.doesNotMatch(res.text, /<script>alert/);
    assert.match(res.text, /127\.0\.0\.1/);
    assert.equal(p.ctx.db.prepare("SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%HYPERLINK%' AND action = 'auth.login_failed'").pluck().get(), 0);
  });

  it('filters by action family, actor, text and day', async () => {
    const auth = await admin.get('/admin/audit').query({ action: 'auth.signed_in' }).expect(200);
    assert.equal((auth.text.match(/<td data-label="Action"><code>auth\.signed_in<\/code><\/td>/g) ?? []).length, 2);
    assert.doesNotMatch(auth.text, /auth\.refused<\/code>/);
    const byActor = await admin.get('/admin/audit').query({ action: 'auth', actor: 'op@example' }).expect(200);
    const rows = [...byActor.text.matchAll(/<td data-label="Action"><code>([\w.]+)<\/code><\/td>/g)].map((m) => m[1]);
    assert.deepEqual(rows, ['auth.refused', 'auth.signed_in']);
    const byText = await admin.get('/admin/audit').query({ text: '/admin/users' }).expect(200);
    assert.match(byText.text, /auth\.refused/);
    assert.doesNotMatch(byText.text, /auth\.signed_in<\/code>/);
    const future = await admin.get('/admin/audit').query({ from: '2099-01-01' }).expect(200);
    assert.match(future.text, /Nothing matches/);
    // Wildcards typed are literal.
    const literal = await admin.get('/admin/audit').query({ actor: '%' }).expect(200);
    assert.match(literal.text, /Nothing matches/);
  });

  it('exports what is filtered as CSV, formulas defused, once the password is typed again', async () => {
    // Creating the key above asked for the password; 11 minutes later that no longer counts.
    await advanceActive(p, [admin], 11 * 60_000);
    const asked = await admin.get('/admin/audit.csv').query({ action: 'api_key.created' });
    assert.equal(asked.status, 403);
    assert.match(asked.text, /Confirm it is you/);
    await confirmAccess(admin);
    const res = await admin.get('/admin/audit.csv').query({ action: 'api_key.created' }).expect(200);
    assert.match(String(res.headers['content-type']), /^text\/csv/);
    const lines = res.text.trim().split('\r\n');
    assert.equal(lines[0], 'at,actor,action,subject,detail,ip');
    assert.equal(lines.length, 2);
    assert.match(lines[1] ?? '', /,api_key\.created,"'=hyperlink\(""x""\)<script>/i);
  });

  it('is for admins only', async () => {
    const operator = await signIn(p, 'op@example.com', PASSWORD);
    await operator.get('/admin/audit').expect(403);
    await operator.get('/admin/audit.csv').expect(403);
  });
});
