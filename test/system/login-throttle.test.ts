import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { ACCOUNT_POLICY, LoginThrottle } from '../../server/lib/login-throttle.js';
import { addUser, csrfOf, PASSWORD, startPharos, type TestPharos } from '../helpers/pharos.js';

/** One login attempt through the real form, as a browser makes it. */
async function attempt(p: TestPharos, email: string, password: string) {
  const agent = request.agent(p.app);
  const page = await agent.get('/admin/login').expect(200);
  return agent
    .post('/admin/login')
    .type('form')
    .send({ _csrf: csrfOf(page.text), email, password, next: '/admin' });
}

const auditRows = (p: TestPharos, action: string) =>
  p.ctx.db.prepare('SELECT subject, ip FROM audit_log WHERE action = ? ORDER BY id').all(action) as { subject: string; ip: string }[];

describe('login throttling', () => {
  let p: TestPharos;
  before(async () => {
    p = await startPharos();
    await addUser(p, 'admin@example.com', 'admin');
  });
  after(() => p.close());

  it('after 3 failures each attempt waits, twice as long each time; while waiting even the right password is not checked', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await attempt(p, 'admin@example.com', 'wrong password')).status, 401);
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const refused = await attempt(p, 'admin@example.com', PASSWORD);
      assert.equal(refused.status, 429);
      assert.match(refused.text, /Too many failed attempts\. Try again in \d+ seconds?\./);
      assert.match(refused.text, /value="admin@example.com"/, 'the typed address is kept');
      const wait = Number(refused.headers['retry-after']);
      // Wait it out, then fail once more: the next wait doubles.
      p.clock.advance(wait * 1000);
      assert.equal((await attempt(p, 'admin@example.com', 'wrong again')).status, 401);
      waits.push(wait);
    }
    assert.deepEqual(waits, [1, 2, 4]);
    const waitNow = Number((await attempt(p, 'admin@example.com', PASSWORD)).headers['retry-after']);
    assert.equal(waitNow, 8);
    p.clock.advance(waitNow * 1000);
    const ok = await attempt(p, 'admin@example.com', PASSWORD);
    assert.equal(ok.status, 303, 'the right password once the wait is over');
    // Failed and refused attempts are tallied per network and minute (written when the minute is over).
    p.ctx.refusals.flush();
    const tallied = (action: string) => p.ctx.db.prepare('SELECT detail, ip FROM audit_log WHERE action = ?').all(action) as { detail: string; ip: string }[];
    const total = (action: string) => tallied(action).reduce((n, r) => n + (JSON.parse(r.detail) as { count: number }).count, 0);
    assert.equal(total('auth.login_failed'), 6);
    assert.equal(total('auth.login_throttled'), 4);
    for (const action of ['auth.login_failed', 'auth.login_throttled']) {
      assert.ok(
        tallied(action).every((r) => (JSON.parse(r.detail) as { accounts: Record<string, number> }).accounts['admin@example.com']),
        `${action} names the account tried`,
      );
      assert.ok(
        tallied(action).every((r) => r.ip === '127.0.0.1'),
        `${action} from the client's network`,
      );
    }
    assert.deepEqual(
      auditRows(p, 'auth.signed_in').map((r) => r.subject),
      ['admin@example.com'],
    );
    // A success clears the account's waiting.
    assert.equal((await attempt(p, 'admin@example.com', 'one slip')).status, 401);
  });

  it('treats an unknown address exactly like a known one', async () => {
    p.clock.advance(2 * 3_600_000);
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      known.push((await attempt(p, 'admin@example.com', 'wrong password')).status);
      unknown.push((await attempt(p, 'nobody@example.com', 'wrong password')).status);
    }
    assert.deepEqual(known, [401, 401, 401, 429, 429]);
    assert.deepEqual(unknown, known);
  });

  it('slows one client address trying many accounts', async () => {
    p.clock.advance(2 * 3_600_000);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await attempt(p, `user${i}@example.com`, 'guess')).status);
    assert.deepEqual(statuses.slice(0, 10), Array(10).fill(401));
    assert.deepEqual(statuses.slice(10), [429, 429], 'past 10 failures from one network, every account waits');
  });
});

describe('the throttle policy', () => {
  it('never lets more than 100 failures an hour through for one account, however the attempts are timed', () => {
    const throttle = new LoginThrottle();
    const keys: [string, typeof ACCOUNT_POLICY][] = [['account:x', ACCOUNT_POLICY]];
    let now = 0;
    let failures = 0;
    // An attacker who tries again the very moment it is allowed, for an hour.
    while (now < 3_600_000) {
      const wait = throttle.waitMs(keys, now);
      if (wait > 0) {
        now += wait;
        continue;
      }
      const reserved = throttle.reserve(keys, now);
      assert.ok('reservation' in reserved);
      throttle.settle(reserved.reservation, 'failed');
      failures++;
    }
    assert.ok(failures <= 100, `${failures} failures in an hour`);
    assert.ok(failures > 50, 'a person who mistypes a few times is not locked out for long');
    // A generous limit (no delays) still stops at the hourly cap.
    const flat = new LoginThrottle();
    const loose: [string, typeof ACCOUNT_POLICY][] = [['account:y', { ...ACCOUNT_POLICY, free: 1000 }]];
    let n = 0;
    for (let t = 0; t < 3_600_000 && flat.waitMs(loose, t) === 0; t += 1000) {
      const reserved = flat.reserve(loose, t);
      assert.ok('reservation' in reserved);
      flat.settle(reserved.reservation, 'failed');
      n++;
    }
    assert.equal(n, 100);
  });
});

describe('the audit log', () => {
  let p: TestPharos;
  before(async () => {
    p = await startPharos();
  });
  after(() => p.close());

  it('is append-only: rows cannot be changed or removed', () => {
    p.ctx.db.prepare("INSERT INTO audit_log (at, actor, action) VALUES ('2026-01-01T00:00:00Z', 'test', 'x')").run();
    assert.throws(() => p.ctx.db.prepare("UPDATE audit_log SET action = 'y'").run(), /append-only/);
    assert.throws(() => p.ctx.db.prepare('DELETE FROM audit_log').run(), /append-only/);
    assert.equal(p.ctx.db.prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'x'").pluck().get(), 1);
  });
});
