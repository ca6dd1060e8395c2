import Database from 'better-sqlite3';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class LockError extends Error {}

/** How long a starting server tries for a lock that is being taken or given up at that very moment. */
const WAIT_MS = 2_000;

const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function holderPid(dataDir: string): string {
  try {
    return readFileSync(join(dataDir, 'pharos.pid'), 'utf8').trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * One Pharos server per database: the outbox's leases and its recovery at start assume a single sender.
 *
 * The lock is SQLite's own: DATA_DIR/pharos.lock is an empty database on which the server holds an
 * EXCLUSIVE transaction, opened at start and never committed. Taking it is atomic, so of two servers
 * started together exactly one wins; the kernel releases it when the process ends, however it ends
 * (kill -9 included), so a stale lock never needs deleting by hand. Contenders retry with random pauses
 * (SQLite's own busy handler retries in lockstep). DATA_DIR/pharos.pid only names the holder in the
 * refusal message.
 */
export function lockDataDir(dataDir: string): () => void {
  const db = new Database(join(dataDir, 'pharos.lock'), { timeout: 0 });
  const until = Date.now() + WAIT_MS;
  for (;;) {
    try {
      db.exec('BEGIN EXCLUSIVE');
      break;
    } catch (err) {
      const busy = err instanceof Database.SqliteError && err.code.startsWith('SQLITE_BUSY');
      if (busy && Date.now() < until) {
        pause(5 + Math.random() * 45);
        continue;
      }
      db.close();
      if (busy) throw new LockError(`Another Pharos server (pid ${holderPid(dataDir)}) is using ${dataDir}: run one server per database`);
      throw err;
    }
  }
  writeFileSync(join(dataDir, 'pharos.pid'), `${process.pid}\n`);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    rmSync(join(dataDir, 'pharos.pid'), { force: true });
    db.close();
  };
}
