import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class LockError extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One Pharos server per database: the outbox's leases and its recovery at start assume a single sender.
 * A lock file holds the server's pid; a file left by a process that died (kill -9) is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, 'pharos.pid');
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new LockError(`Another Pharos server (pid ${pid}) is using ${dataDir}: run one server per database`);
    }
    writeFileSync(file, String(process.pid));
  }
  return () => rmSync(file, { force: true });
}
