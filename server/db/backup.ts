import Database from 'better-sqlite3';
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './open.js';

const NAME = /^pharos-\d{8}T\d{6}Z\.db$/;

/**
 * An online, consistent copy of the database (SQLite's backup API, while writes go on), checked with
 * integrity_check before it counts; then only the newest `keep` backups are kept.
 */
export async function backupDatabase(db: Db, dir: string, now: Date, keep: number): Promise<{ file: string; removed: string[] }> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `pharos-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')}.db`);
  // Written under a temporary name and renamed once checked: a half-written copy never counts as a backup.
  const partial = `${file}.partial`;
  try {
    await db.backup(partial);
  } catch (err) {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(partial + suffix, { force: true });
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
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(partial + suffix, { force: true });
    throw err;
  }
  copy.close();
  renameSync(partial, file);
  const backups = readdirSync(dir).filter((f) => NAME.test(f)).sort();
  const removed = backups.slice(0, Math.max(0, backups.length - keep));
  for (const old of removed) for (const suffix of ['', '-wal', '-shm']) rmSync(join(dir, old + suffix), { force: true });
  return { file, removed };
}
