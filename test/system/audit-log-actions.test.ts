import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createApiKey, revokeApiKey } from '../../server/domain/access/api-keys.js';
import { createUser, deleteUser, setRole } from '../../server/domain/access/users.js';
import { importCsv } from '../../server/domain/subscribers/import-export.js';
import { addApiKey, addUser, csrfOf, PASSWORD, signIn, startPharos, type Agent, type TestPharos } from '../helpers/pharos.js';

/** Every operator action has its audit row, written in the same transaction as the action itself. */

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
