import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Db } from './open.js';

const NAME = /^pharos-\d{8}T\d{6}Z\.db$/;

/**
 * An online, consistent copy of the database (SQLite's backup API, while writes go on), checked with
 * integrity_check before it counts; then only the newest `keep` backups are kept.
 */
export async function backupDatabase(db: Db, dir: string, now: Date, keep: number): Promise<{ file: string; removed: string[] }> {
  mkdirSync(dir, { recursive: true });
  const file = join(
    dir,
    `pharos-${now
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '')}.db`,
  );
  await backupTo(db, file);
  const backups = readdirSync(dir)
    .filter((f) => NAME.test(f))
    .sort();
  const removed = backups.slice(0, Math.max(0, backups.length - keep));
  for (const old of removed) for (const suffix of ['', '-wal', '-shm']) rmSync(join(dir, old + suffix), { force: true });
  return { file, removed };
}

const removeWithSidecars = (file: string) => {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true });
};

/**
 * An online, consistent copy of the database in one file (SQLite's backup API, while writes go on),
 * checked with integrity_check; written under a temporary name and renamed once checked, so that a
 * half-written copy never exists under `file`.
 */
export async function backupTo(db: Db, file: string, opts: { oneStep?: boolean } = {}): Promise<void> {
  const partial = `${file}.partial`;
  try {
    // Inside the server, 100 pages a step leave the event loop free between steps (its own writes go into
    // the copy as they happen). From another process, a write by the server restarts the copy: after a
    // first step, the rest is copied in one (WAL mode: the server's writers are not blocked meanwhile).
    await db.backup(partial, { progress: ({ remainingPages }) => (opts.oneStep ? Math.max(remainingPages, 100) : 100) });
  } catch (err) {
    removeWithSidecars(partial);
    throw err;
  }
  // The copy is a single file: out of WAL mode (it inherits the live database's), then checked.
  const copy = new Database(partial);
  try {
    copy.pragma('journal_mode = DELETE');
    const check = copy.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new Error(`the backup ${file} failed integrity_check: ${String(check)}`);
  } catch (err) {
    copy.close();
    removeWithSidecars(partial);
    throw err;
  }
  copy.close();
  renameSync(partial, file);
}

export class RestoreError extends Error {}

/**
 * Checks that `file` is a sound Pharos database this version can run (integrity_check, our tables,
 * no migration this version does not know) and returns the migrations it has applied.
 */
export function checkBackup(file: string, knownMigrations: string[]): string[] {
  let db: Db;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new RestoreError(`${file} cannot be opened as a database: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    const check = db.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new RestoreError(`${file} failed integrity_check: ${String(check)}`);
    const hasTable = (name: string) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
    if (!hasTable('schema_migrations') || !hasTable('incidents')) throw new RestoreError(`${file} is not a Pharos database`);
    const applied = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all() as string[];
    const unknown = applied.filter((v) => !knownMigrations.includes(v));
    if (unknown.length) throw new RestoreError(`${file} comes from a newer Pharos (migrations ${unknown.join(', ')}): upgrade Pharos first`);
    return applied;
  } catch (err) {
    if (err instanceof RestoreError) throw err;
    throw new RestoreError(`${file} is not a usable database: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    db.close();
  }
}

/**
 * Puts a checked backup in place of the database file (the caller holds the data folder's lock, so no
 * server uses it): the current database is first saved next to the backups, then the copy is renamed
 * over it, with the old WAL and shared-memory files removed.
 */
export async function restoreDatabase(backup: string, databaseFile: string, safetyCopy: string): Promise<void> {
  const staged = `${databaseFile}.restoring`;
  copyFileSync(backup, staged);
  try {
    if (existsSync(databaseFile)) {
      mkdirSync(dirname(safetyCopy), { recursive: true });
      const current = new Database(databaseFile);
      try {
        await backupTo(current, safetyCopy);
      } finally {
        current.close();
      }
    }
    for (const suffix of ['-wal', '-shm', '-journal']) rmSync(databaseFile + suffix, { force: true });
    renameSync(staged, databaseFile);
  } finally {
    rmSync(staged, { force: true });
  }
}
