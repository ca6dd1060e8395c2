import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { loadConfig } from '../../server/config.js';
import { type Context } from '../../server/context.js';
import { createContext } from '../../server/compose.js';
import { lockDataDir } from '../../server/db/lock.js';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { importCsv } from '../../server/domain/subscribers/import-export.js';
import { createLog } from '../../server/log.js';
import { runTs } from '../helpers/spawn.js';

const system = { type: 'system' } as const;
const names = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT name FROM components ORDER BY name').pluck().all() as string[];
  } finally {
    db.close();
  }
};

/** npm run backup / npm run restore, run as the npm scripts run them, against a real database file. */
describe('backup and restore from the command line', () => {
  let dir: string;
  let dataDir: string;
  let ctx: Context;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pharos-backup-'));
    dataDir = join(dir, 'data');
    ctx = createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), { log: createLog('silent') });
    const api = createComponent(ctx, system, { name: 'API' });
    createIncident(ctx, system, { name: 'Attack', components: { [api.id]: 'major_outage' }, deliver_notifications: false });
    // Enough rows that the copy takes many steps.
    importCsv(ctx, system, ['email', ...Array.from({ length: 20_000 }, (_, i) => `reader${i}@example.com`)].join('\n'), true);
  });
  after(async () => {
    await ctx.mail.stop();
    if (ctx.db.open) ctx.db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('backs up online, consistently, while writes go on', async () => {
    const out = join(dir, 'nightly', 'pharos.db');
    let written = 0;
    const writer = setInterval(() => createComponent(ctx, system, { name: `Written during the backup ${++written}` }), 2);
    const ran = await runTs('scripts/backup.ts', ['--out', out], { DATA_DIR: dataDir }).finally(() => clearInterval(writer));
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /Backed up .* integrity_check ok/);
    assert.ok(written > 0, 'writes went on meanwhile');
    const copy = new Database(out, { readonly: true });
    try {
      assert.equal(copy.pragma('integrity_check', { simple: true }), 'ok');
      assert.deepEqual(copy.pragma('foreign_key_check'), []);
      assert.equal(copy.pragma('journal_mode', { simple: true }), 'delete', 'one self-contained file');
      assert.equal(copy.prepare('SELECT COUNT(*) FROM subscribers').pluck().get(), 20_000);
      // A consistent prefix of the writes: components 1..n, none missing in between.
      const during = (copy.prepare("SELECT name FROM components WHERE name LIKE 'Written during%'").pluck().all() as string[]).map((n) =>
        Number(n.split(' ').pop()),
      );
      assert.deepEqual(
        during.sort((a, b) => a - b),
        Array.from({ length: during.length }, (_, i) => i + 1),
      );
    } finally {
      copy.close();
    }
    assert.deepEqual(readdirSync(join(dir, 'nightly')), ['pharos.db'], 'no partial file left');

    const again = await runTs('scripts/backup.ts', ['--out', out], { DATA_DIR: dataDir });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists already/);
    const usage = await runTs('scripts/backup.ts', [], { DATA_DIR: dataDir });
    assert.equal(usage.code, 1);
    assert.match(usage.stderr, /Usage: npm run backup -- --out FILE/);
  });

  it('refuses to restore while a Pharos process holds the database, and changes nothing', async () => {
    const out = join(dir, 'held.db');
    assert.equal((await runTs('scripts/backup.ts', ['--out', out], { DATA_DIR: dataDir })).code, 0);
    // This test process stands for the running server: it holds the data folder's lock.
    const release = lockDataDir(dataDir);
    createComponent(ctx, system, { name: 'After the backup' });
    try {
      const ran = await runTs('scripts/restore.ts', [out], { DATA_DIR: dataDir });
      assert.equal(ran.code, 1);
      assert.match(ran.stderr, new RegExp(`Another Pharos server \\(pid ${process.pid}\\)`));
      assert.ok(names(join(dataDir, 'pharos.db')).includes('After the backup'), 'the database is untouched');
    } finally {
      release();
    }
  });

  it('refuses a file that is not a sound Pharos database', async () => {
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'not a database at all, just text '.repeat(200));
    const empty = join(dir, 'empty.db');
    new Database(empty).close();
    for (const [file, message] of [
      [junk, /cannot be opened|not a usable database|not a database/],
      [empty, /is not a Pharos database/],
      [join(dir, 'missing.db'), /cannot be opened/],
    ] as const) {
      const ran = await runTs('scripts/restore.ts', [file], { DATA_DIR: dataDir });
      assert.equal(ran.code, 1, file);
      assert.match(ran.stderr, message);
    }
    assert.ok(names(join(dataDir, 'pharos.db')).includes('After the backup'), 'the database is untouched');
  });

  it('restores a backup as a round trip, keeping the database as it was, and Pharos starts on it', async () => {
    const out = join(dir, 'round-trip.db');
    assert.equal((await runTs('scripts/backup.ts', ['--out', out], { DATA_DIR: dataDir })).code, 0);
    const atBackup = names(out);
    createComponent(ctx, system, { name: 'Added after the round-trip backup' });
    await ctx.mail.stop();
    ctx.db.close();

    const ran = await runTs('scripts/restore.ts', [out], { DATA_DIR: dataDir });
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /Restored .* into .*pharos\.db/);
    const safety = /saved in (\S+)\./.exec(ran.stdout)?.[1] ?? '';
    assert.ok(existsSync(safety), 'the database as it was is kept');
    assert.ok(names(safety).includes('Added after the round-trip backup'));
    assert.ok(!existsSync(join(dataDir, 'pharos.pid')), 'the lock is released');

    ctx = createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), { log: createLog('silent') });
    assert.deepEqual(names(join(dataDir, 'pharos.db')), atBackup);
    assert.equal(ctx.db.pragma('integrity_check', { simple: true }), 'ok');
    assert.match(ctx.snapshot.current().live.html.components, /API/);
    assert.doesNotMatch(ctx.snapshot.current().live.html.components, /Added after the round-trip backup/);
  });
});
