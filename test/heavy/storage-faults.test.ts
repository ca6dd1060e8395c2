import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { addApiKey, addUser, csrfOf, signIn, startPharos, type Agent, type TestPharos } from '../helpers/pharos.js';
import { holdWriteLock, isRoot, mountExt4, mountTmpfs, type Ext4, type Tmpfs } from '../helpers/storage.js';

/**
 * The storage fails under a running Pharos: the disk fills up, the kernel makes the file system
 * read-only after a disk error, another process holds the database's write lock. Each time /readyz
 * says so (503, naming the fault), an operator's change answers 503 with what was typed and changes
 * nothing, the admin shows what is wrong and what to do; once the fault is gone, the same form goes
 * through. Real file systems (as root: a tmpfs, an ext4 on a loop device) and a real second process.
 */

const system = { type: 'system' } as const;
const needsRoot = isRoot ? false : 'needs root to mount file systems';

interface Readiness {
  status: string;
  checks: Record<'database' | 'storage' | 'migrations', { ok: boolean; problem?: string; error?: string }> & { mail: { transport: string } };
}

async function readiness(p: TestPharos, status: number): Promise<Readiness> {
  // Probed at most once a second: a second later, the fault is seen.
  p.clock.advance(1_000);
  const res = await request(p.app).get('/readyz');
  assert.equal(res.status, status, res.text);
  return res.body as Readiness;
}

interface Typed {
  csrf: string;
  once: string;
  body: string;
}

/** The incident page's update form as the browser holds it: its tokens and what is typed in it. */
function formOf(html: string, body: string): Typed {
  const once = /name="_once" value="([^"]+)"/.exec(html)?.[1];
  if (!once) throw new Error('no one-time token in the page');
  return { csrf: csrfOf(html), once, body };
}

function postUpdate(agent: Agent, incidentId: string, form: Typed) {
  return agent.post(`/admin/incidents/${incidentId}/updates`).type('form').send({ _csrf: form.csrf, _once: form.once, status: 'identified', body: form.body });
}

/** What an operator tries while the fault lasts, and what must hold: 503, nothing changed, the admin says why. */
async function refusedWhileFaulty(p: TestPharos, agent: Agent, key: string, incidentId: string, fault: { code: string; alert: RegExp }): Promise<Typed> {
  const audits = p.ctx.db.prepare('SELECT COUNT(*) FROM audit_log').pluck().get();
  const typed = formOf((await agent.get(`/admin/incidents/${incidentId}`).expect(200)).text, 'A disk controller is being replaced.');
  const refused = await postUpdate(agent, incidentId, typed);
  assert.equal(refused.status, 503, refused.text.slice(0, 500));
  assert.match(refused.text, /Nothing was saved/);
  assert.match(refused.text, /A disk controller is being replaced\./, 'what was typed is kept');
  assert.match(refused.text, fault.alert, 'and the page says what is wrong');

  const api = await request(p.app)
    .patch(`/api/v1/pages/${p.ctx.pageId}/incidents/${incidentId}`)
    .set('Authorization', `OAuth ${key}`)
    .send({ incident: { status: 'identified', body: 'From the API.' } });
  assert.equal(api.status, 503, api.text);
  assert.equal((api.body as { error: { code: string } }).error.code, fault.code);
  assert.ok(Number(api.headers['retry-after']) > 0, 'Retry-After');

  // Nothing half-written.
  assert.equal(p.ctx.db.pragma('integrity_check', { simple: true }), 'ok');
  assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM incident_updates WHERE incident_id = ?').pluck().get(incidentId), 1, 'no update stored');
  assert.equal(p.ctx.db.prepare('SELECT status FROM incidents WHERE id = ?').pluck().get(incidentId), 'investigating');
  assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM audit_log').pluck().get(), audits, 'no audit row');

  const dashboard = await agent.get('/admin').expect(200);
  assert.match(dashboard.text, /id="storage-alert"/);
  assert.match(dashboard.text, fault.alert);
  assert.match(dashboard.text, /What to do:/);
  const systemPage = await agent.get('/admin/system').expect(200);
  assert.match(systemPage.text, /id="storage"/);
  assert.match(systemPage.text, fault.alert);
  // The form as it came back, with its own tokens, to send again once the fault is gone.
  return formOf(refused.text, 'A disk controller is being replaced.');
}

async function acceptedOnceFixed(p: TestPharos, agent: Agent, incidentId: string, form: Typed): Promise<void> {
  const sent = await postUpdate(agent, incidentId, form);
  assert.equal(sent.status, 303, sent.text.slice(0, 500));
  assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM incident_updates WHERE incident_id = ? AND body = ?').pluck().get(incidentId, form.body), 1);
  assert.equal(p.ctx.db.pragma('integrity_check', { simple: true }), 'ok');
  const dashboard = await agent.get('/admin').expect(200);
  assert.doesNotMatch(dashboard.text, /id="storage-alert"/);
}

async function world(dataDir: string): Promise<{ p: TestPharos; agent: Agent; key: string; incidentId: string }> {
  const p = await startPharos({ env: { DATA_DIR: dataDir } });
  await addUser(p, 'admin@example.com');
  const key = addApiKey(p);
  const incidentId = createIncident(p.ctx, system, { name: 'Storage trouble', status: 'investigating', body: 'Looking into it.' }).id;
  return { p, agent: await signIn(p, 'admin@example.com'), key, incidentId };
}

describe('the disk fills up', { skip: needsRoot }, () => {
  let disk: Tmpfs;
  let p: TestPharos | undefined;
  before(() => {
    disk = mountTmpfs(128);
  });
  after(async () => {
    await p?.close().catch(() => undefined);
    disk?.unmount();
  });

  it('is not ready, refuses changes with 503 and says so; ready again once space is freed', async () => {
    const w = await world(disk.dir);
    p = w.p;
    await readiness(p, 200);

    // A write-ahead log with no room left in it, as after a checkpoint that truncated it: the next
    // change needs new pages, which a full disk cannot give.
    p.ctx.db.pragma('wal_checkpoint(TRUNCATE)');
    disk.fill();
    const full = await readiness(p, 503);
    assert.equal(full.status, 'not ready');
    assert.equal(full.checks.storage.ok, false);
    assert.equal(full.checks.storage.problem, 'full');
    assert.match(full.checks.storage.error ?? '', /disk full/);
    assert.ok(full.checks.mail.transport, 'the other checks are still there');
    assert.doesNotMatch(JSON.stringify(full), new RegExp(disk.dir), 'no path of the machine');

    const typed = await refusedWhileFaulty(p, w.agent, w.key, w.incidentId, { code: 'storage_full', alert: /disk is full/ });

    disk.free();
    assert.deepEqual((await readiness(p, 200)).checks.storage, { ok: true });
    await acceptedOnceFixed(p, w.agent, w.incidentId, typed);
  });
});

describe('the kernel makes the file system read-only after a disk error', { skip: needsRoot }, () => {
  let disk: Ext4;
  let p: TestPharos | undefined;
  before(() => {
    disk = mountExt4(160);
  });
  after(async () => {
    await p?.close().catch(() => undefined);
    disk?.unmount();
  });

  it('is not ready, refuses changes with 503 and says so; ready again once repaired and restarted', async () => {
    const w = await world(disk.dir);
    p = w.p;
    await readiness(p, 200);

    disk.fail();
    const broken = await readiness(p, 503);
    assert.equal(broken.checks.storage.problem, 'read-only');
    assert.match(broken.checks.storage.error ?? '', /read-only/);

    const typed = await refusedWhileFaulty(p, w.agent, w.key, w.incidentId, { code: 'storage_read_only', alert: /storage is read-only/ });

    // What an operator does: stop Pharos, repair the file system, start Pharos again.
    await p.close().catch(() => undefined);
    p = undefined;
    disk.repair();
    p = await startPharos({ env: { DATA_DIR: disk.dir } });
    assert.deepEqual((await readiness(p, 200)).checks.storage, { ok: true });
    const agent = await signIn(p, 'admin@example.com');
    const page = await agent.get(`/admin/incidents/${w.incidentId}`).expect(200);
    await acceptedOnceFixed(p, agent, w.incidentId, { ...formOf(page.text, typed.body) });
  });
});

describe('another process holds the database write lock', () => {
  let dir: string;
  let p: TestPharos | undefined;
  let lock: { release(): Promise<void> } | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pharos-locked-'));
  });
  after(async () => {
    await lock?.release();
    await p?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is not ready, refuses changes with 503 and says so; ready again once the lock is released', async () => {
    const w = await world(dir);
    p = w.p;
    await readiness(p, 200);

    lock = await holdWriteLock(join(p.ctx.config.dataDir, 'pharos.db'));
    const locked = await readiness(p, 503);
    assert.equal(locked.checks.database.ok, false);
    assert.match(locked.checks.database.error ?? '', /locked/);

    const typed = await refusedWhileFaulty(p, w.agent, w.key, w.incidentId, { code: 'database_locked', alert: /locked by another process/ });
    assert.equal(locked.checks.database.problem, 'locked');
    assert.deepEqual(locked.checks.storage, { ok: true }, 'the disk is fine');

    await lock.release();
    lock = undefined;
    assert.equal((await readiness(p, 200)).checks.database.ok, true);
    await acceptedOnceFixed(p, w.agent, w.incidentId, typed);
  });
});
