import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createComponent } from '../../server/domain/page/components.js';
import { confirmSubscription, subscribe, type Subscriber } from '../../server/domain/subscribers/subscribers.js';
import { confirmToken } from '../../server/domain/subscribers/tokens.js';
import { JOBS } from '../../server/jobs/registry.js';
import { purgeJob } from '../../server/jobs/purge.js';
import { backupJob } from '../../server/jobs/backup.js';
import { runJob, type Job } from '../../server/jobs/schedule.js';
import { addUser, signIn, startPharos, type TestPharos } from '../helpers/pharos.js';

const system = { type: 'system' } as const;
const DAY = 86_400_000;

/** The row of one job in the System page's table. */
function jobRow(html: string, id: string): string {
  const rows = html.split('<tr>').slice(1);
  const row = rows.find((r) => r.includes(`<strong>${id}</strong>`));
  assert.ok(row, `a row for ${id}`);
  return row.slice(0, row.indexOf('</tr>'));
}

describe('runJob: results kept in job_runs and shown on the System page', () => {
  let p: TestPharos;

  before(async () => {
    p = await startPharos();
    await addUser(p, 'admin@example.com', 'admin');
    await addUser(p, 'operator@example.com', 'operator');
  });
  after(async () => {
    await p.close();
  });

  it('records an ok run with its detail, and a failed run with its message', async () => {
    const ok: Job = { id: 'test-ok', schedule: '* * * * *', description: 'Succeeds', run: () => 'did 3 things' };
    const run = await runJob(p.ctx, ok);
    assert.ok(run, 'it ran');
    assert.equal(run.result, 'ok');
    assert.equal(run.detail, 'did 3 things');
    assert.equal(run.error, null);
    assert.equal(run.started_at, '2026-11-30T10:00:00.000Z');
    assert.equal(run.finished_at, '2026-11-30T10:00:00.000Z');

    const failing: Job = {
      id: 'test-fail',
      schedule: '* * * * *',
      description: 'Fails',
      run: async () => {
        await Promise.resolve();
        throw new Error('disk full');
      },
    };
    const failed = await runJob(p.ctx, failing);
    assert.equal(failed?.result, 'error');
    assert.equal(failed?.error, 'disk full');
    assert.deepEqual(p.ctx.db.prepare("SELECT job_id, result, error FROM job_runs WHERE job_id LIKE 'test-%' ORDER BY job_id").all(), [
      { job_id: 'test-fail', result: 'error', error: 'disk full' },
      { job_id: 'test-ok', result: 'ok', error: null },
    ]);
    // A failure does not leave the job marked as running: it runs again next time, and the row is replaced.
    p.clock.advance(60_000);
    const again = await runJob(p.ctx, { ...failing, run: () => undefined });
    assert.equal(again?.result, 'ok');
    assert.equal(again?.error, null);
    assert.equal(again?.started_at, '2026-11-30T10:01:00.000Z');
    assert.equal(p.ctx.db.prepare("SELECT COUNT(*) FROM job_runs WHERE job_id = 'test-fail'").pluck().get(), 1);
  });

  it('shows each job with its schedule, last run and result (or error) to an admin', async () => {
    p.clock.set('2026-11-30T11:00:00.000Z');
    assert.equal((await runJob(p.ctx, purgeJob))?.result, 'ok');
    // DATA_DIR/backups is a file: the backup cannot be written.
    const blocker = join(p.dataDir, 'backups');
    writeFileSync(blocker, 'not a directory');
    p.clock.set('2026-11-30T11:05:00.000Z');
    const failed = await runJob(p.ctx, backupJob);
    assert.equal(failed?.result, 'error');
    assert.match(failed?.error ?? '', /EEXIST|ENOTDIR/);

    const admin = await signIn(p, 'admin@example.com');
    const page = await admin.get('/admin/system').expect(200);
    for (const job of JOBS) {
      const row = jobRow(page.text, job.id);
      assert.ok(row.includes(`<code>${job.schedule}</code>`), `${job.id} shows its schedule`);
    }
    const purge = jobRow(page.text, 'purge');
    assert.match(purge, /<time datetime="2026-11-30T11:00:00.000Z"/);
    assert.match(purge, /ok · 0 pending subscribers, 0 sessions removed/);
    const backup = jobRow(page.text, 'backup');
    assert.match(backup, /<time datetime="2026-11-30T11:05:00.000Z"/);
    assert.match(backup, /error: (EEXIST|ENOTDIR)/);
    assert.match(jobRow(page.text, 'uptime-rollup'), /not yet/);

    // Fixed: the next run succeeds and the page says so.
    rmSync(blocker);
    p.clock.set('2026-11-30T11:10:00.000Z');
    assert.equal((await runJob(p.ctx, backupJob))?.result, 'ok');
    const later = await admin.get('/admin/system').expect(200);
    const fixed = jobRow(later.text, 'backup');
    assert.match(fixed, /<time datetime="2026-11-30T11:10:00.000Z"/);
    assert.match(fixed, /ok · .*pharos-20261130T111000Z\.db written and checked/);
    assert.doesNotMatch(fixed, /error/);
  });

  it('is for admins only', async () => {
    const operator = await signIn(p, 'operator@example.com');
    await operator.get('/admin/system').expect(403);
  });

  it('never runs a job twice at once: a second runJob while the first awaits returns undefined', async () => {
    let release: () => void = () => undefined;
    let calls = 0;
    const slow: Job = {
      id: 'test-slow',
      schedule: '* * * * *',
      description: 'Waits',
      run: async () => {
        calls++;
        await new Promise<void>((resolve) => (release = resolve));
        return 'done';
      },
    };
    const first = runJob(p.ctx, slow);
    await new Promise((r) => setImmediate(r));
    assert.equal(p.ctx.db.prepare("SELECT result FROM job_runs WHERE job_id = 'test-slow'").pluck().get(), 'running');
    assert.equal(await runJob(p.ctx, slow), undefined);
    assert.equal(await runJob(p.ctx, slow), undefined);
    assert.equal(calls, 1);
    release();
    assert.equal((await first)?.result, 'ok');
    // Once finished it runs again.
    const next = runJob(p.ctx, slow);
    await new Promise((r) => setImmediate(r));
    release();
    assert.equal((await next)?.detail, 'done');
    assert.equal(calls, 2);
  });
});

describe('backupJob', () => {
  let p: TestPharos;
  const backups = () => readdirSync(join(p.dataDir, 'backups')).sort();

  before(async () => {
    p = await startPharos({ env: { BACKUP_KEEP: '3' } });
    createComponent(p.ctx, system, { name: 'Backed up' });
  });
  after(async () => {
    await p.close();
  });

  it('writes DATA_DIR/backups/pharos-*.db that passes integrity_check and holds the data', async () => {
    p.clock.set('2026-11-30T02:37:00.000Z');
    const run = await runJob(p.ctx, backupJob);
    assert.equal(run?.result, 'ok', run?.error ?? '');
    const file = join(p.dataDir, 'backups', 'pharos-20261130T023700Z.db');
    assert.ok(existsSync(file), 'the backup file');
    const copy = new Database(file, { readonly: true });
    try {
      assert.equal(copy.pragma('integrity_check', { simple: true }), 'ok');
      assert.deepEqual(copy.prepare('SELECT name FROM components').pluck().all(), ['Backed up']);
      assert.deepEqual(copy.pragma('foreign_key_check'), []);
    } finally {
      copy.close();
    }
  });

  it('keeps only the newest BACKUP_KEEP=3 after runs on 5 different days', async () => {
    for (const file of backups()) rmSync(join(p.dataDir, 'backups', file));
    for (let day = 1; day <= 5; day++) {
      p.clock.set(new Date(Date.parse('2026-12-01T02:37:00.000Z') + (day - 1) * DAY).toISOString());
      assert.equal((await runJob(p.ctx, backupJob))?.result, 'ok');
    }
    assert.deepEqual(
      backups().filter((f) => f.endsWith('.db')),
      ['pharos-20261203T023700Z.db', 'pharos-20261204T023700Z.db', 'pharos-20261205T023700Z.db'],
    );
  });

  it('leaves nothing of the removed backups behind (no -wal/-shm files beside them)', () => {
    // Each backup should be one self-contained file; what rotation removed should be gone entirely.
    assert.deepEqual(
      backups().filter((f) => /^pharos-2026120[12]T/.test(f)),
      [],
      'files of the two removed backups are still in DATA_DIR/backups',
    );
    assert.deepEqual(backups(), ['pharos-20261203T023700Z.db', 'pharos-20261204T023700Z.db', 'pharos-20261205T023700Z.db']);
  });

  it('is consistent when taken while writes go on', async () => {
    // Enough pages that the online backup takes many steps (better-sqlite3 copies 100 pages a step).
    const filler = p.ctx.db.prepare("INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, 'test', 'filler', '', ?)");
    p.ctx.db.transaction(() => {
      for (let i = 0; i < 3000; i++) filler.run(p.clock.now().toISOString(), 'x'.repeat(2000));
    })();
    // Each write puts one row in two tables, in one transaction: a consistent copy has the same pairs in both.
    const pairAudit = p.ctx.db.prepare("INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, 'test', 'pair', ?, '')");
    const pairSetting = p.ctx.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)');
    const writePair = p.ctx.db.transaction((i: number) => {
      pairAudit.run(p.clock.now().toISOString(), String(i));
      pairSetting.run(`pair-${i}`, String(i));
    });

    p.clock.set('2026-12-10T02:37:00.000Z');
    let finished = false;
    const backup = runJob(p.ctx, backupJob).finally(() => (finished = true));
    let during = 0;
    for (let i = 0; i < 5000 && !finished; i++) {
      writePair(i);
      during++;
      await new Promise((r) => setImmediate(r));
    }
    const run = await backup;
    assert.equal(run?.result, 'ok', run?.error ?? '');
    assert.ok(during > 1, `writes went on during the backup (${during})`);

    const copy = new Database(join(p.dataDir, 'backups', 'pharos-20261210T023700Z.db'), { readonly: true });
    try {
      assert.equal(copy.pragma('integrity_check', { simple: true }), 'ok');
      assert.deepEqual(copy.pragma('foreign_key_check'), []);
      const audits = copy.prepare("SELECT CAST(subject AS INTEGER) FROM audit_log WHERE action = 'pair' ORDER BY 1").pluck().all() as number[];
      const settings = copy.prepare("SELECT CAST(value AS INTEGER) FROM settings WHERE key LIKE 'pair-%' ORDER BY 1").pluck().all() as number[];
      assert.deepEqual(audits, settings, 'every pair whole, none half');
      assert.deepEqual(
        audits,
        audits.map((_, i) => i),
        'a prefix of the writes, with no gap',
      );
      assert.equal(copy.prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'filler'").pluck().get(), 3000);
    } finally {
      copy.close();
    }
  });
});

describe('purgeJob', () => {
  let p: TestPharos;

  const subscriber = (email: string) => p.ctx.db.prepare('SELECT * FROM subscribers WHERE email = ?').get(email) as Subscriber | undefined;

  before(async () => {
    p = await startPharos();
    await addUser(p, 'admin@example.com', 'admin');
  });
  after(async () => {
    await p.close();
  });

  it('removes pending subscribers older than 7 days and expired sessions; keeps confirmed and newer pending ones', async () => {
    const api = createComponent(p.ctx, system, { name: 'API' }).id;
    p.clock.set('2026-11-20T10:00:00.000Z');
    subscribe(p.ctx, { email: 'old-pending@example.com', all: false, components: [api] });
    subscribe(p.ctx, { email: 'old-confirmed@example.com', all: true });
    const old = subscriber('old-confirmed@example.com');
    assert.ok(old?.confirm_nonce, 'a confirmation nonce');
    assert.ok(confirmSubscription(p.ctx, confirmToken(p.ctx.secret, old.id, old.confirm_nonce)), 'confirmed');
    await signIn(p, 'admin@example.com'); // a session that expires 12 hours later

    p.clock.set('2026-11-26T10:00:00.000Z');
    subscribe(p.ctx, { email: 'newer-pending@example.com', all: true });

    p.clock.set('2026-11-27T11:00:00.000Z'); // 7 days and 1 hour after the first ones
    await signIn(p, 'admin@example.com'); // a live session
    const oldPendingId = subscriber('old-pending@example.com')?.id;
    assert.ok(oldPendingId, 'the old pending subscriber exists before the purge');

    const run = await runJob(p.ctx, purgeJob);
    assert.equal(run?.result, 'ok');
    assert.equal(run?.detail, '1 pending subscribers, 1 sessions removed');
    assert.equal(subscriber('old-pending@example.com'), undefined);
    assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM subscriber_components WHERE subscriber_id = ?').pluck().get(oldPendingId), 0);
    assert.equal(subscriber('old-confirmed@example.com')?.state, 'confirmed');
    assert.equal(subscriber('newer-pending@example.com')?.state, 'pending');
    const sessions = p.ctx.db.prepare('SELECT expires_at FROM sessions').pluck().all() as string[];
    assert.equal(sessions.length, 1);
    assert.ok(
      sessions.every((e) => Date.parse(e) > p.clock.now().getTime()),
      'only the live session is left',
    );

    // Idempotent.
    assert.equal((await runJob(p.ctx, purgeJob))?.detail, '0 pending subscribers, 0 sessions removed');
  });
});
