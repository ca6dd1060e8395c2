import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import request from 'supertest';
import { ensureFirstAdmin } from '../../server/domain/access/first-admin.js';
import { addUser, signIn, startPharos, type TestPharos } from '../helpers/pharos.js';

/** The first admin, created at start from ADMIN_EMAIL and ADMIN_PASSWORD when there is no user yet. */

describe('first admin from ADMIN_EMAIL / ADMIN_PASSWORD', () => {
  const env = { ADMIN_EMAIL: 'boot@example.com', ADMIN_PASSWORD: 'a bootstrap password' };
  const started: TestPharos[] = [];
  after(async () => {
    for (const p of started) await p.close();
  });

  it('creates the admin when there is no user, once', async () => {
    const p = await startPharos({ env });
    started.push(p);
    assert.equal(await ensureFirstAdmin(p.ctx), undefined, 'no setup link when the env names the admin');
    const users = p.ctx.db.prepare('SELECT email, role FROM users').all();
    assert.deepEqual(users, [{ email: 'boot@example.com', role: 'admin' }]);
    assert.equal(p.ctx.db.prepare("SELECT value FROM settings WHERE key = 'setup_token_hash'").pluck().get(), undefined);
    await request(p.app).get('/setup?token=anything').expect(404);

    const hash = p.ctx.db.prepare('SELECT password_hash FROM users').pluck().get();
    assert.equal(await ensureFirstAdmin(p.ctx), undefined);
    assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM users').pluck().get(), 1, 'a second start creates nobody');
    assert.equal(p.ctx.db.prepare('SELECT password_hash FROM users').pluck().get(), hash, 'nor resets the password');

    const agent = await signIn(p, env.ADMIN_EMAIL, env.ADMIN_PASSWORD);
    await agent.get('/admin/settings').expect(200);
  });

  it('creates nobody when a user already exists', async () => {
    const p = await startPharos({ env });
    started.push(p);
    await addUser(p, 'existing@example.com', 'operator');
    assert.equal(await ensureFirstAdmin(p.ctx), undefined);
    const users = p.ctx.db.prepare('SELECT email, role FROM users').all();
    assert.deepEqual(users, [{ email: 'existing@example.com', role: 'operator' }]);
  });
});
