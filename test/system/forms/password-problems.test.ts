import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { ensureFirstAdmin } from '../../../server/domain/access/first-admin.js';
import { addUser, csrfOf, PASSWORD, signIn, startPharos, submit, type Agent, type TestPharos } from '../../helpers/pharos.js';
import { summaryLinks } from '../../helpers/forms.js';

/**
 * A form with a password tells every problem at once: a short password that does not match either is
 * told both, the first admin's setup as much as adding a user, and a sensitive form (which asks for the
 * operator's own password) says what is wrong with the rest of it together with the password's answer.
 */

const errorOf = (html: string, field: string) => new RegExp(`id="${field}-error">([^<]*)</p>`).exec(html)?.[1];

describe('every password problem at once', () => {
  describe('setting up the first admin', () => {
    let p: TestPharos;
    let path = '';
    let token = '';

    before(async () => {
      p = await startPharos();
      const link = new URL((await ensureFirstAdmin(p.ctx)) ?? '');
      path = link.pathname + link.search;
      token = link.searchParams.get('token') ?? '';
    });
    after(() => p.close());

    async function setup(fields: Record<string, string>) {
      const agent = request.agent(p.app);
      const form = await agent.get(path).expect(200);
      return agent
        .post('/setup')
        .type('form')
        .send({ _csrf: csrfOf(form.text), token, ...fields });
    }

    it('a short password that does not match: both, with a bad address too, and the address kept', async () => {
      const res = await setup({ email: 'ops@', password: 'short', password_confirm: 'shorter' });
      assert.equal(res.status, 422);
      assert.equal(errorOf(res.text, 'email'), 'Enter a valid email address');
      assert.equal(errorOf(res.text, 'password'), 'Use at least 12 characters');
      assert.equal(errorOf(res.text, 'password_confirm'), 'The passwords do not match');
      assert.deepEqual(
        summaryLinks(res.text).map((l) => l.href),
        ['#email', '#password', '#password_confirm'],
      );
      assert.match(res.text, /id="email"[^>]*value="ops@"/);
      assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM users').pluck().get(), 0);
    });

    it('a password too long that does not match: both', async () => {
      const res = await setup({ email: 'ops@example.com', password: 'p'.repeat(201), password_confirm: 'p'.repeat(200) });
      assert.equal(res.status, 422);
      assert.equal(errorOf(res.text, 'password'), 'Use at most 200 characters (you typed 201)');
      assert.equal(errorOf(res.text, 'password_confirm'), 'The passwords do not match');
    });

    it('once everything is right, the link creates the admin (and only then)', async () => {
      const res = await setup({ email: 'ops@example.com', password: 'a long enough password', password_confirm: 'a long enough password' });
      assert.equal(res.status, 303);
      assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM users').pluck().get(), 1);
    });
  });

  describe('forms that ask for the operator own password', () => {
    let p: TestPharos;
    let admin: Agent;
    const users = () => p.ctx.db.prepare('SELECT COUNT(*) FROM users').pluck().get() as number;

    before(async () => {
      p = await startPharos();
      await addUser(p, 'admin@example.com', 'admin');
      await addUser(p, 'taken@example.com', 'operator');
      admin = await signIn(p, 'admin@example.com');
    });
    after(() => p.close());

    it("adding a user: the new password's problems and a missing confirmation, all at once", async () => {
      const res = await submit(admin, '/admin/users', '/admin/users', { email: 'new@', password: 'short', role: 'operator' });
      assert.equal(res.status, 422);
      assert.equal(errorOf(res.text, 'email'), 'Enter a valid email address');
      assert.equal(errorOf(res.text, 'password'), 'Use at least 12 characters');
      assert.equal(errorOf(res.text, 'confirm_password'), 'Enter your password to confirm');
      assert.deepEqual(
        summaryLinks(res.text).map((l) => l.href),
        ['#email', '#password', '#confirm_password'],
      );
      assert.equal(users(), 2);
    });

    it('adding a user: a wrong confirmation is told with the short password, and audited', async () => {
      const failures = () => p.ctx.db.prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.password_confirm_failed'").pluck().get() as number;
      const before = failures();
      const res = await submit(admin, '/admin/users', '/admin/users', {
        email: 'new@example.com',
        password: 'short',
        role: 'operator',
        confirm_password: 'not it',
      });
      assert.equal(res.status, 422);
      assert.equal(errorOf(res.text, 'password'), 'Use at least 12 characters');
      assert.equal(errorOf(res.text, 'confirm_password'), 'That is not your password');
      assert.equal(failures(), before + 1);
      assert.equal(users(), 2);
    });

    it('adding a user: whether an address has an account is told only once the password is right', async () => {
      let res = await submit(admin, '/admin/users', '/admin/users', {
        email: 'taken@example.com',
        password: 'a long enough password',
        role: 'operator',
        confirm_password: 'not it',
      });
      assert.equal(errorOf(res.text, 'email'), undefined);
      assert.equal(errorOf(res.text, 'confirm_password'), 'That is not your password');
      res = await submit(admin, '/admin/users', '/admin/users', {
        email: 'taken@example.com',
        password: 'a long enough password',
        role: 'operator',
        confirm_password: PASSWORD,
      });
      assert.equal(errorOf(res.text, 'email'), 'An account with this email already exists');
      assert.equal(users(), 2);
    });

    it('an API key without a name and a wrong password: both', async () => {
      const res = await submit(admin, '/admin/api-keys', '/admin/api-keys', { name: '  ', confirm_password: 'not it' });
      assert.equal(res.status, 422);
      assert.equal(errorOf(res.text, 'name'), 'Enter a name');
      assert.equal(errorOf(res.text, 'confirm_password'), 'That is not your password');
      assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM api_keys').pluck().get(), 0);
    });

    it('who may subscribe: a bad threshold and no password: both', async () => {
      const res = await submit(admin, '/admin/settings', '/admin/settings/subscriptions', { mode: 'open', threshold: 'lots', auto_mode: 'paused' });
      assert.equal(res.status, 422);
      assert.equal(errorOf(res.text, 'threshold'), 'Enter a whole number');
      assert.equal(errorOf(res.text, 'confirm_password'), 'Enter your password to confirm');
    });

    it('with the right password and a problem left, the problem alone', async () => {
      const res = await submit(admin, '/admin/api-keys', '/admin/api-keys', { name: '', confirm_password: PASSWORD });
      assert.equal(res.status, 422);
      assert.equal(errorOf(res.text, 'name'), 'Enter a name');
      assert.equal(errorOf(res.text, 'confirm_password'), undefined);
    });
  });
});
