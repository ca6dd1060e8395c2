import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createApiKey, revokeApiKey } from '../../server/domain/access/api-keys.js';
import { RefusalTally } from '../../server/domain/access/refusal-tally.js';
import { createUser, deleteUser, setRole } from '../../server/domain/access/users.js';
import { importCsv } from '../../server/domain/subscribers/import-export.js';
import { addApiKey, addUser, advanceActive, confirmAccess, csrfOf, PASSWORD, signIn, startPharos, type Agent, type TestPharos } from '../helpers/pharos.js';

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
    const actions = [...res.text.matchAll(/<td><code>([\w.]+)<\/code><\/td>/g)].map((m) => m[1]);
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
    assert.equal((auth.text.match(/<td><code>auth\.signed_in<\/code><\/td>/g) ?? []).length, 2);
    assert.doesNotMatch(auth.text, /auth\.refused<\/code>/);
    const byActor = await admin.get('/admin/audit').query({ action: 'auth', actor: 'op@example' }).expect(200);
    const rows = [...byActor.text.matchAll(/<td><code>([\w.]+)<\/code><\/td>/g)].map((m) => m[1]);
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

describe('the audit log records every operator action', () => {
  let p: TestPharos;
  let admin: Agent;
  before(async () => {
    p = await startPharos();
    await addUser(p, 'admin@example.com', 'admin');
    await addUser(p, 'op@example.com', 'operator');
    admin = await signIn(p, 'admin@example.com');
  });
  after(() => p.close());
  const last = (action: string) =>
    p.ctx.db.prepare('SELECT actor, subject, detail, ip FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT 1').get(action) as
      { actor: string; subject: string; detail: string; ip: string } | undefined;

  it('edits with the subject before and after, who and from where; through the forms and the API', async () => {
    const form = await admin.get('/admin/components/new').expect(200);
    await admin
      .post('/admin/components')
      .type('form')
      .send({ _csrf: csrfOf(form.text), name: 'API', status: 'operational' })
      .expect(303);
    const id = p.ctx.db.prepare("SELECT id FROM components WHERE name = 'API'").pluck().get() as string;
    const created = last('component.created');
    assert.equal(created?.actor, 'user:admin@example.com');
    assert.equal(created?.subject, id);
    assert.match(created?.ip ?? '', /127\.0\.0\.1/);

    const edit = await admin.get(`/admin/components/${id}/edit`).expect(200);
    await admin
      .post(`/admin/components/${id}/edit`)
      .type('form')
      .send({ _csrf: csrfOf(edit.text), name: 'Public API', status: 'degraded_performance' })
      .expect(303);
    const edited = JSON.parse(last('component.updated')?.detail ?? '{}') as {
      before: { name: string; status: string };
      after: { name: string; status: string };
    };
    assert.deepEqual([edited.before.name, edited.before.status], ['API', 'operational']);
    assert.deepEqual([edited.after.name, edited.after.status], ['Public API', 'degraded_performance']);

    const key = addApiKey(p, 'deploy bot');
    const posted = await request(p.app)
      .post(`/api/v1/pages/${p.ctx.pageId}/incidents`)
      .set('Authorization', `OAuth ${key}`)
      .send({ incident: { name: 'Attack', status: 'investigating' } })
      .expect(201);
    await request(p.app)
      .patch(`/api/v1/pages/${p.ctx.pageId}/incidents/${(posted.body as { id: string }).id}`)
      .set('Authorization', `OAuth ${key}`)
      .send({ incident: { status: 'identified' } })
      .expect(200);
    const patched = last('incident.updated');
    assert.equal(patched?.actor, 'api_key:deploy bot');
    assert.match(patched?.ip ?? '', /127\.0\.0\.1/);
    const detail = JSON.parse(patched?.detail ?? '{}') as { before: { status: string }; after: { status: string } };
    assert.deepEqual([detail.before.status, detail.after.status], ['investigating', 'identified']);

    const confirm = await admin.get(`/admin/incidents/${(posted.body as { id: string }).id}/delete`).expect(200);
    await admin
      .post(`/admin/incidents/${(posted.body as { id: string }).id}/delete`)
      .type('form')
      .send({ _csrf: csrfOf(confirm.text), confirm_password: PASSWORD })
      .expect(303);
    const deleted = JSON.parse(last('incident.deleted')?.detail ?? '{}') as { before: { name: string }; after: null };
    assert.equal(deleted.before.name, 'Attack');
    assert.equal(deleted.after, null);
  });

  it('accounts and keys: users created, roles changed, keys created and revoked', async () => {
    const users = await admin.get('/admin/users').expect(200);
    await admin
      .post('/admin/users')
      .type('form')
      .send({
        _csrf: csrfOf(users.text),
        email: 'new@example.com',
        name: 'New',
        role: 'operator',
        password: 'a long enough password',
        confirm_password: PASSWORD,
      })
      .expect(303);
    assert.equal(last('user.created')?.subject, 'new@example.com');
    const newId = p.ctx.db.prepare("SELECT id FROM users WHERE email = 'new@example.com'").pluck().get() as string;
    await admin
      .post(`/admin/users/${newId}/role`)
      .type('form')
      .send({ _csrf: csrfOf(users.text), role: 'admin', confirm_password: PASSWORD })
      .expect(303);
    assert.deepEqual(JSON.parse(last('user.role_changed')?.detail ?? '{}'), { before: { role: 'operator' }, after: { role: 'admin' } });
    const keys = await admin.get('/admin/api-keys').expect(200);
    await admin
      .post('/admin/api-keys')
      .type('form')
      .send({ _csrf: csrfOf(keys.text), name: 'Alertmanager', confirm_password: PASSWORD })
      .expect(201);
    assert.equal(last('api_key.created')?.subject, 'Alertmanager');
    assert.doesNotMatch(JSON.stringify(p.ctx.db.prepare('SELECT * FROM audit_log').all()), /pharos_[\w-]{20,}/, 'never the key itself');
  });
});

describe('anonymous refusals in the audit log', () => {
  let p: TestPharos;
  let admin: Agent;
  const rows = () => p.ctx.db.prepare('SELECT COUNT(*) FROM audit_log').pluck().get() as number;
  before(async () => {
    p = await startPharos({ listen: true });
    await addUser(p, 'admin@example.com', 'admin');
    await addUser(p, 'op@example.com', 'operator');
    admin = await signIn(p, 'admin@example.com');
  });
  after(() => p.close());

  it('counts 1,000 requests with a wrong key as one row per network and minute, with the count', async () => {
    const before = rows();
    const url = `${p.url}/api/v1/pages/${p.ctx.pageId}/incidents`;
    for (let batch = 0; batch < 20; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          fetch(url, {
            method: 'POST',
            headers: { Authorization: `OAuth pharos_wrong-${batch}-${i}`, 'Content-Type': 'application/json' },
            body: '{"incident":{"name":"x"}}',
          }),
        ),
      );
      assert.ok(answers.every((a) => a.status === 401));
      await Promise.all(answers.map((a) => a.arrayBuffer()));
    }
    assert.ok(rows() - before <= 3, `${rows() - before} rows while the minute lasts`);
    // The admin's viewer writes what is tallied before reading, and shows the count.
    const page = await admin.get('/admin/audit').query({ action: 'auth.refused' }).expect(200);
    assert.match(page.text, /&quot;count&quot;:1000/);
    const added = p.ctx.db.prepare('SELECT actor, subject, detail, ip FROM audit_log WHERE id > ? ORDER BY id').all(0) as {
      actor: string;
      subject: string;
      detail: string;
      ip: string;
    }[];
    const tallied = added.filter((r) => r.actor === 'anonymous');
    assert.equal(tallied.length, 1, JSON.stringify(tallied));
    assert.equal(tallied[0]?.subject, '127.0.0.1');
    const detail = JSON.parse(tallied[0]?.detail ?? '{}') as { count: number; statuses: Record<string, number>; paths: Record<string, number> };
    assert.equal(detail.count, 1000);
    assert.deepEqual(detail.statuses, { 401: 1000 });
    assert.deepEqual(Object.values(detail.paths), [1000]);
    assert.ok(rows() - before <= 5, `${rows() - before} rows in all`);
  });

  it('writes a minute once it is over, without anyone reading the log', async () => {
    const before = rows();
    for (let i = 0; i < 5; i++) await fetch(`${p.url}/admin/users`, { method: 'POST' });
    assert.equal(rows(), before, 'held while the minute lasts');
    p.clock.advance(60_000);
    await fetch(`${p.url}/admin/users`, { method: 'POST' });
    assert.equal(rows(), before + 1, 'the finished minute is written by the next refusal');
    const last = p.ctx.db.prepare('SELECT detail FROM audit_log ORDER BY id DESC LIMIT 1').pluck().get() as string;
    assert.equal((JSON.parse(last) as { count: number }).count, 5);
  });

  it('still writes one row for each refusal of a signed-in operator', async () => {
    const operator = await signIn(p, 'op@example.com');
    const before = p.ctx.db.prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.refused' AND actor = 'user:op@example.com'").pluck().get() as number;
    for (let i = 0; i < 3; i++) await operator.get('/admin/users').expect(403);
    const after = p.ctx.db.prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.refused' AND actor = 'user:op@example.com'").pluck().get() as number;
    assert.equal(after - before, 3);
  });
});

describe('the refusal tally', () => {
  let p: TestPharos;
  before(async () => {
    p = await startPharos();
  });
  after(() => p.close());

  it('folds a spray from more than 200 networks in a minute into one more row, and keeps counts a failed write could not store', () => {
    const tally = new RefusalTally(p.ctx.db, p.clock);
    const before = p.ctx.db.prepare('SELECT COUNT(*) FROM audit_log').pluck().get() as number;
    for (let i = 0; i < 5000; i++) tally.count('auth.refused', `2001:db8:${i.toString(16)}::/64`, { statuses: 401 });
    tally.flush();
    const rows = p.ctx.db.prepare('SELECT subject, detail FROM audit_log WHERE id > ?').all(before) as { subject: string; detail: string }[];
    assert.equal(rows.length, 201);
    const other = rows.find((r) => r.subject === 'other networks');
    assert.equal((JSON.parse(other?.detail ?? '{}') as { count: number }).count, 4800);

    // The database refuses the write (read-only for a moment): nothing is lost, it is written later.
    const errors: unknown[] = [];
    const failing = new RefusalTally(p.ctx.db, p.clock, (err) => errors.push(err));
    failing.count('auth.refused', '198.51.100.1');
    p.ctx.db.pragma('query_only = ON');
    failing.flush();
    p.ctx.db.pragma('query_only = OFF');
    assert.equal(errors.length, 1);
    failing.flush();
    assert.equal(p.ctx.db.prepare("SELECT COUNT(*) FROM audit_log WHERE subject = '198.51.100.1'").pluck().get(), 1);
  });
});

describe('admin writes and their audit rows', () => {
  let p: TestPharos;
  before(async () => {
    p = await startPharos();
    await addUser(p, 'admin@example.com', 'admin');
    await addUser(p, 'op@example.com', 'operator');
  });
  after(() => p.close());
  const admin = { type: 'user', id: 'x', email: 'admin@example.com', name: 'Admin' } as const;
  const count = (sql: string) => p.ctx.db.prepare(sql).pluck().get() as number;

  it('are one transaction: when the audit row cannot be written, the write is not made either', async () => {
    const opId = p.ctx.db.prepare("SELECT id FROM users WHERE email = 'op@example.com'").pluck().get() as string;
    const key = createApiKey(p.ctx, admin, { name: 'Kept' }).apiKey.id;
    // The audit log refuses every row from now on (as a full disk or a broken trigger would).
    p.ctx.db.exec("CREATE TEMP TRIGGER audit_refused BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END");
    const before = {
      keys: count('SELECT COUNT(*) FROM api_keys'),
      revoked: count('SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NOT NULL'),
      users: count('SELECT COUNT(*) FROM users'),
      admins: count("SELECT COUNT(*) FROM users WHERE role = 'admin'"),
      subscribers: count('SELECT COUNT(*) FROM subscribers'),
    };
    assert.throws(() => createApiKey(p.ctx, admin, { name: 'Unaudited' }), /audit log unavailable/);
    assert.throws(() => revokeApiKey(p.ctx, admin, key), /audit log unavailable/);
    assert.throws(() => setRole(p.ctx, admin, opId, 'admin'), /audit log unavailable/);
    assert.throws(() => deleteUser(p.ctx, admin, opId), /audit log unavailable/);
    assert.throws(() => importCsv(p.ctx, admin, 'new@example.com\n', true), /audit log unavailable/);
    await assert.rejects(createUser(p.ctx, admin, { email: 'mallory@example.com', password: 'a long enough password' }), /audit log unavailable/);
    assert.deepEqual(
      {
        keys: count('SELECT COUNT(*) FROM api_keys'),
        revoked: count('SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NOT NULL'),
        users: count('SELECT COUNT(*) FROM users'),
        admins: count("SELECT COUNT(*) FROM users WHERE role = 'admin'"),
        subscribers: count('SELECT COUNT(*) FROM subscribers'),
      },
      before,
      'nothing was changed without its record',
    );
    p.ctx.db.exec('DROP TRIGGER audit_refused');
    revokeApiKey(p.ctx, admin, key);
    assert.equal(count("SELECT COUNT(*) FROM audit_log WHERE action = 'api_key.revoked' AND actor = 'user:admin@example.com'"), 1);
  });
});
