import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { migrate, MigrationError } from '../../../server/db/migrate.js';
import { openDatabase, type Db } from '../../../server/db/open.js';
import { projectRoot } from '../../../server/lib/paths.js';
import { runTs } from '../../helpers/spawn.js';

describe('database and migrations', () => {
  let dir: string;
  let db: Db;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pharos-migrate-'));
    db = openDatabase(join(dir, 'data', 'pharos.db'));
  });
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens with WAL, foreign keys, a busy timeout and synchronous=FULL', () => {
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    assert.equal(db.pragma('busy_timeout', { simple: true }), 5000);
    assert.equal(db.pragma('synchronous', { simple: true }), 2);
  });

  it('applies every migration once, in order, and records it', () => {
    const files = readdirSync(join(projectRoot(), 'migrations'))
      .filter((f) => f.endsWith('.sql'))
      .sort();
    assert.deepEqual(migrate(db, join(projectRoot(), 'migrations')), files);
    assert.deepEqual(migrate(db, join(projectRoot(), 'migrations')), [], 'nothing to do the second time');
    assert.deepEqual(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all(), files);
  });

  it('leaves the database as it was when a migration fails, and names the file and the error', () => {
    const migrations = join(dir, 'migrations');
    mkdirSync(migrations);
    for (const f of readdirSync(join(projectRoot(), 'migrations'))) copyFileSync(join(projectRoot(), 'migrations', f), join(migrations, f));
    writeFileSync(
      join(migrations, '900_broken.sql'),
      "CREATE TABLE half_done (id INTEGER);\nINSERT INTO settings (key, value) VALUES ('touched', 'yes');\nTHIS IS NOT SQL;\n",
    );
    const tablesBefore = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    assert.throws(
      () => migrate(db, migrations),
      (err: unknown) => err instanceof MigrationError && err.file === '900_broken.sql' && /900_broken\.sql failed: .*syntax error/.test(err.message),
    );
    assert.deepEqual(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all(), tablesBefore);
    assert.equal(db.prepare("SELECT COUNT(*) FROM settings WHERE key = 'touched'").pluck().get(), 0);
    assert.equal(db.prepare("SELECT COUNT(*) FROM schema_migrations WHERE version = '900_broken.sql'").pluck().get(), 0);
  });

  it('stops start-up with the failing file and SQLite message when a landed database cannot be migrated', async () => {
    // A database whose schema_migrations claims nothing but whose tables exist: 001 fails on CREATE TABLE.
    const data = join(dir, 'clash');
    const clash = openDatabase(join(data, 'pharos.db'));
    clash.exec('CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    clash.close();
    const ran = await runTs('server/main.ts', [], { DATA_DIR: data, PORT: '0', HOST: '127.0.0.1' });
    assert.equal(ran.code, 1);
    assert.match(ran.stderr.trim(), /^Migration 001_init\.sql failed: table settings already exists$/);
    const after = openDatabase(join(data, 'pharos.db'));
    try {
      assert.deepEqual(after.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all(), ['schema_migrations', 'settings']);
    } finally {
      after.close();
    }
  });
});
