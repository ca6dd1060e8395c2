import { rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Clock } from '../context.js';
import type { Log } from '../log.js';
import type { Db } from './open.js';

/**
 * Can this process store a change now? What each fault looks like, and what sees it:
 * - a full disk: SQLite meets it only when a write needs new room (the WAL growing, a checkpoint moving
 *   pages into the database), and a write rolled back never reaches the disk at all in WAL mode; so
 *   the free space of the data folder's file system is compared with what a burst of writes needs;
 * - a read-only file system (remounted read-only by the kernel after a disk error, or not writable by
 *   Pharos's user): SQLite keeps the files it has open, so only a new write to the folder tells (a tiny
 *   file, written and removed, never fsynced);
 * - a read-only database, or one whose write lock another process holds (a backup script, a sqlite3
 *   shell left in a transaction): the write lock taken and an UPDATE rolled back, waiting at most
 *   LOCK_WAIT_MS for the lock, never the busy timeout the app's writes wait.
 * /readyz is public: the probe runs at most once a second, and every caller shares its result.
 */

export type StorageProblem = 'full' | 'read-only' | 'locked' | 'failing';

export interface Check {
  ok: boolean;
  problem?: StorageProblem;
  /** What is wrong, in words that name no path. */
  error?: string;
}

export interface StorageReport {
  /** The data folder's file system: free space, and whether it takes writes. */
  storage: Check & { freeBytes: number; neededBytes: number };
  /** The database: writable, and its write lock free. */
  database: Check;
  /** When it was probed (the clock's ms). */
  at: number;
}

/** Room a burst of writes needs besides the WAL's own size: WAL growth and a checkpoint into the database. */
export const MIN_FREE_BYTES = 64 * 2 ** 20;
/** Below this many free inodes (where the file system counts them), nothing new can be created. */
const MIN_FREE_INODES = 64;
const LOCK_WAIT_MS = 50;
const PROBE_EVERY_MS = 1_000;
const MB = 2 ** 20;

/** The storage fault an error from SQLite or the file system means, if it is one. */
export function storageProblemOf(err: unknown): StorageProblem | undefined {
  const code = err && typeof err === 'object' && 'code' in err && typeof err.code === 'string' ? err.code : '';
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') return 'full';
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return 'read-only';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'locked';
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN' || code === 'EIO') return 'failing';
  return undefined;
}

const mb = (bytes: number) => `${Math.floor(bytes / MB)} MB`;

/** The free space (and inodes) of the folder's file system, against what a burst of writes needs. */
function space(dir: string, databaseFile: string): Check & { freeBytes: number; neededBytes: number } {
  let wal = 0;
  try {
    wal = statSync(`${databaseFile}-wal`).size;
  } catch {
    // No WAL file yet (or any more): nothing to add.
  }
  const neededBytes = MIN_FREE_BYTES + wal;
  const fs = statfsSync(dir);
  const freeBytes = fs.bavail * fs.bsize;
  if (freeBytes < neededBytes) {
    return { ok: false, problem: 'full', error: `disk full: ${mb(freeBytes)} free, at least ${mb(neededBytes)} needed`, freeBytes, neededBytes };
  }
  if (fs.files > 0 && fs.ffree < MIN_FREE_INODES) {
    return { ok: false, problem: 'full', error: 'disk full: no free inodes left for new files', freeBytes, neededBytes };
  }
  return { ok: true, freeBytes, neededBytes };
}

/** A tiny file written to the folder and removed: what a file system that went read-only refuses. */
function folderWritable(dir: string): Check {
  const probe = join(dir, '.pharos-probe');
  try {
    writeFileSync(probe, 'probe');
    rmSync(probe, { force: true });
    return { ok: true };
  } catch (err) {
    const problem = storageProblemOf(err) ?? 'failing';
    const code = err && typeof err === 'object' && 'code' in err ? String(err.code) : 'error';
    const what = problem === 'full' ? 'disk full' : problem === 'read-only' ? 'the data folder is read-only' : 'writing to the data folder fails';
    return { ok: false, problem, error: `${what} (${code})` };
  }
}

/** Takes the write lock (waiting at most LOCK_WAIT_MS), writes, and rolls back: nothing reaches the disk. */
function databaseWritable(db: Db): Check {
  if (db.readonly) return { ok: false, problem: 'read-only', error: 'the database was opened read-only' };
  if (db.inTransaction) return { ok: true };
  const timeout = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma(`busy_timeout = ${LOCK_WAIT_MS}`);
  try {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.prepare("UPDATE settings SET value = value WHERE key = 'page_id'").run();
    } finally {
      db.exec('ROLLBACK');
    }
    return { ok: true };
  } catch (err) {
    const problem = storageProblemOf(err) ?? 'failing';
    const message = err instanceof Error ? err.message : String(err);
    if (problem === 'locked') return { ok: false, problem, error: 'database locked: another process holds its write lock' };
    return { ok: false, problem, error: message };
  } finally {
    db.pragma(`busy_timeout = ${timeout}`);
  }
}

/** The data folder's storage as last probed; probed again when asked after a second. */
export class StorageHealth {
  private last: StorageReport | undefined;

  constructor(private readonly deps: { db: Db; clock: Clock; log: Log; databaseFile: string }) {}

  /** The report, at most a second old; `fresh`: probed now (a write has just failed: which fault is it?). */
  check(fresh = false): StorageReport {
    const now = this.deps.clock.now().getTime();
    if (!fresh && this.last && now - this.last.at < PROBE_EVERY_MS && now >= this.last.at) return this.last;
    const report = this.probe(now);
    this.logChange(report);
    this.last = report;
    return report;
  }

  private probe(at: number): StorageReport {
    const dir = dirname(this.deps.databaseFile);
    let storage: StorageReport['storage'];
    try {
      const free = space(dir, this.deps.databaseFile);
      const writable = free.ok ? folderWritable(dir) : { ok: true };
      storage = writable.ok ? free : { ...free, ...writable };
    } catch (err) {
      const code = err && typeof err === 'object' && 'code' in err ? String(err.code) : 'error';
      storage = {
        ok: false,
        problem: storageProblemOf(err) ?? 'failing',
        error: `the data folder cannot be examined (${code})`,
        freeBytes: 0,
        neededBytes: MIN_FREE_BYTES,
      };
    }
    return { storage, database: databaseWritable(this.deps.db), at };
  }

  /** One log line when a problem starts, changes or ends, not one per probe. */
  private logChange(report: StorageReport): void {
    const problems = (r: StorageReport | undefined) => `${r?.storage.problem ?? ''}/${r?.database.problem ?? ''}`;
    if (problems(this.last) === problems(report)) return;
    const words = [report.storage.error, report.database.error].filter(Boolean).join('; ');
    if (words) this.deps.log.error({ storage: report.storage, database: report.database }, `changes cannot be stored: ${words}`);
    else if (this.last) this.deps.log.info('storage recovered: changes can be stored again');
  }
}
