import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createApiKey } from '../../server/domain/access/api-keys.js';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { importCsv } from '../../server/domain/subscribers/import-export.js';
import { addUser, csrfOf, PASSWORD, startPharos, type TestPharos } from '../helpers/pharos.js';

/**
 * Every sensitive action asks for the password again, and a stolen session (the session cookie alone,
 * no device cookie) can neither skip that nor guess the password: confirmations are throttled like
 * sign-ins.
 */

const system = { type: 'system' } as const;
const ADMIN = 'admin@example.com';

/** What an attacker holding only the session cookie can send. */
interface Thief {
  get(path: string): request.Test;
  post(path: string, fields: Record<string, string>, formPage: string): Promise<request.Response>;
}

async function stealSession(p: TestPharos, email: string): Promise<Thief> {
  const page = await request(p.app).get('/admin/login').expect(200);
  const anon = String(page.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
  const signedIn = await request(p.app)
    .post('/admin/login')
    .set('Cookie', anon)
    .type('form')
    .send({ _csrf: csrfOf(page.text), email, password: PASSWORD })
    .expect(303);
  const session = (signedIn.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('pharos_session='))?.split(';')[0] ?? '';
  assert.ok(session);
  return {
    get: (path) => request(p.app).get(path).set('Cookie', session),
    post: async (path, fields, formPage) => {
      const form = await request(p.app).get(formPage).set('Cookie', session).expect(200);
      return request(p.app)
        .post(path)
        .set('Cookie', session)
        .type('form')
        .send({ _csrf: csrfOf(form.text), ...fields });
    },
  };
}

interface Sensitive {
  what: string;
  /** The page holding the form. */
  form: (ids: Ids) => string;
  action: (ids: Ids) => string;
  fields: Record<string, string>;
  /** Whether the action was carried out. */
  done: (p: TestPharos, ids: Ids) => boolean;
  /** The status of the accepted request. */
  accepted: number;
}

interface Ids {
  victim: string;
  operator: string;
  key: string;
  incident: string;
}

const count = (p: TestPharos, sql: string, ...args: unknown[]) =>
  p.ctx.db
    .prepare(sql)
    .pluck()
    .get(...args) as number;

const SENSITIVE: Sensitive[] = [
  {
    what: 'creating a user',
    form: () => '/admin/users',
    action: () => '/admin/users',
    fields: { email: 'mallory@example.com', name: 'Mallory', password: 'a long enough password', role: 'admin' },
    done: (p) => count(p, "SELECT COUNT(*) FROM users WHERE email = 'mallory@example.com'") === 1,
    accepted: 303,
  },
  {
    what: 'changing a role',
    form: () => '/admin/users',
    action: (ids) => `/admin/users/${ids.operator}/role`,
    fields: { role: 'admin' },
    done: (p, ids) => count(p, "SELECT COUNT(*) FROM users WHERE id = ? AND role = 'admin'", ids.operator) === 1,
    accepted: 303,
  },
  {
    what: 'deleting a user',
    form: (ids) => `/admin/users/${ids.victim}/delete`,
    action: (ids) => `/admin/users/${ids.victim}/delete`,
    fields: {},
    done: (p, ids) => count(p, 'SELECT COUNT(*) FROM users WHERE id = ?', ids.victim) === 0,
    accepted: 303,
  },
  {
    what: 'creating an API key',
    form: () => '/admin/api-keys',
    action: () => '/admin/api-keys',
    fields: { name: 'Exfiltration' },
    done: (p) => count(p, "SELECT COUNT(*) FROM api_keys WHERE name = 'Exfiltration'") === 1,
    accepted: 201,
  },
  {
    what: 'revoking an API key',
    form: (ids) => `/admin/api-keys/${ids.key}/revoke`,
    action: (ids) => `/admin/api-keys/${ids.key}/revoke`,
    fields: {},
    done: (p, ids) => count(p, 'SELECT COUNT(*) FROM api_keys WHERE id = ? AND revoked_at IS NOT NULL', ids.key) === 1,
    accepted: 303,
  },
  {
    what: 'exporting subscribers',
    form: () => '/admin/subscribers/export',
    action: () => '/admin/subscribers/export.csv',
    fields: {},
    done: (p) => count(p, "SELECT COUNT(*) FROM audit_log WHERE action = 'subscribers.exported'") > 0,
    accepted: 200,
  },
  {
    what: 'changing who may subscribe',
    form: () => '/admin/settings',
    action: () => '/admin/settings/subscriptions',
    fields: { mode: 'paused', domains: '', threshold: '60', auto_mode: 'paused' },
    done: (p) => count(p, "SELECT COUNT(*) FROM settings WHERE key = 'subscriptions.mode' AND value = 'paused'") === 1,
    accepted: 303,
  },
  {
    what: 'deleting an incident',
    form: (ids) => `/admin/incidents/${ids.incident}/delete`,
    action: (ids) => `/admin/incidents/${ids.incident}/delete`,
    fields: {},
    done: (p, ids) => count(p, 'SELECT COUNT(*) FROM incidents WHERE id = ?', ids.incident) === 0,
    accepted: 303,
  },
];

describe('password confirmation before sensitive actions', () => {
  let p: TestPharos;
  let thief: Thief;
  const ids: Ids = { victim: '', operator: '', key: '', incident: '' };
  before(async () => {
    p = await startPharos();
    await addUser(p, ADMIN, 'admin');
    await addUser(p, 'victim@example.com', 'operator');
    await addUser(p, 'operator@example.com', 'operator');
    ids.victim = p.ctx.db.prepare("SELECT id FROM users WHERE email = 'victim@example.com'").pluck().get() as string;
    ids.operator = p.ctx.db.prepare("SELECT id FROM users WHERE email = 'operator@example.com'").pluck().get() as string;
    ids.key = createApiKey(p.ctx, { type: 'system' }, { name: 'Alertmanager' }).apiKey.id;
    ids.incident = createIncident(p.ctx, system, { name: 'Attack' }).id;
    importCsv(p.ctx, system, 'reader@example.com\n', true);
    thief = await stealSession(p, ADMIN);
  });
  after(() => p.close());

  /** An hour later, with the session kept alive: earlier wrong passwords no longer make anyone wait. */
  async function anHourLater() {
    for (let i = 0; i < 4; i++) {
      p.clock.advance(16 * 60_000);
      await thief.get('/admin/account').expect(200);
    }
  }

  for (const s of SENSITIVE) {
    it(`${s.what}: refused without the password and with a wrong one, changing nothing; done with the right one`, async () => {
      await anHourLater();
      const missing = await thief.post(s.action(ids), s.fields, s.form(ids));
      assert.equal(missing.status, 422, `${s.what} without a password: ${missing.text.slice(0, 200)}`);
      assert.match(missing.text, /Enter your password to confirm/);
      assert.match(missing.text, /name="confirm_password"/, 'the form asks for it');
      assert.equal(s.done(p, ids), false);
      const wrong = await thief.post(s.action(ids), { ...s.fields, confirm_password: 'not the password' }, s.form(ids));
      assert.equal(wrong.status, 422);
      assert.match(wrong.text, /That is not your password/);
      assert.equal(s.done(p, ids), false);
      const right = await thief.post(s.action(ids), { ...s.fields, confirm_password: PASSWORD }, s.form(ids));
      assert.equal(right.status, s.accepted, `${s.what}: ${right.text.slice(0, 300)}`);
      assert.equal(s.done(p, ids), true);
    });
  }

  it('opens lists of personal data (subscribers, deliveries, the audit log as a file) only within 10 minutes of the password', async () => {
    await anHourLater();
    for (const path of ['/admin/subscribers', '/admin/subscribers?page=2', '/admin/deliveries', '/admin/audit.csv']) {
      const asked = await thief.get(path);
      assert.equal(asked.status, 403, path);
      assert.match(asked.text, /Confirm it is you/, path);
      assert.doesNotMatch(asked.text, /reader@example\.com/, path);
    }
    const wrong = await thief.post('/admin/confirm', { confirm_password: 'not the password', next: '/admin/subscribers' }, '/admin/account');
    assert.equal(wrong.status, 422);
    assert.match(wrong.text, /That is not your password/);
    assert.match(wrong.text, /name="next" value="\/admin\/subscribers"/, 'still going to the list');
    assert.equal((await thief.get('/admin/subscribers')).status, 403);
    const right = await thief.post('/admin/confirm', { confirm_password: PASSWORD, next: '/admin/subscribers' }, '/admin/account');
    assert.equal(right.status, 303);
    assert.equal(right.headers.location, '/admin/subscribers');
    assert.match((await thief.get('/admin/subscribers').expect(200)).text, /reader@example\.com/);
    await thief.get('/admin/deliveries').expect(200);
    // Ten minutes on, it asks again.
    for (let i = 0; i < 2; i++) {
      p.clock.advance(5 * 60_000 + 1);
      await thief.get('/admin/account').expect(200);
    }
    assert.equal((await thief.get('/admin/subscribers')).status, 403);
    // Off-site destinations are not followed.
    const offsite = await thief.post('/admin/confirm', { confirm_password: PASSWORD, next: '//evil.example/' }, '/admin/account');
    assert.equal(offsite.headers.location, '/admin');
  });

  it('throttles confirmations like sign-ins: after a run of wrong passwords the right one is refused too', async () => {
    await anHourLater();
    const exported = () => count(p, "SELECT COUNT(*) FROM audit_log WHERE action = 'subscribers.exported'");
    const before = exported();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      statuses.push((await thief.post('/admin/subscribers/export.csv', { confirm_password: `guess ${i}` }, '/admin/subscribers/export')).status);
    }
    assert.deepEqual(statuses.slice(0, 3), [422, 422, 422]);
    assert.ok(
      statuses.slice(3).every((s) => s === 429),
      statuses.join(' '),
    );
    const right = await thief.post('/admin/subscribers/export.csv', { confirm_password: PASSWORD }, '/admin/subscribers/export');
    assert.equal(right.status, 429);
    assert.match(String(right.headers['retry-after']), /^\d+$/);
    assert.match(right.text, /Too many failed attempts\. Try again in \d+ seconds?\./);
    assert.doesNotMatch(right.text, /reader@example\.com/, 'no CSV');
    assert.equal(exported(), before);
    // And the same count applies to signing in as that account from a browser without its device cookie.
    const page = await request(p.app).get('/admin/login').expect(200);
    const login = await request(p.app)
      .post('/admin/login')
      .set('Cookie', String(page.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '')
      .type('form')
      .send({ _csrf: csrfOf(page.text), email: ADMIN, password: PASSWORD });
    assert.equal(login.status, 429);
  });
});
