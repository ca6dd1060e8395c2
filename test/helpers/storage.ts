import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { projectRoot } from '../../server/lib/paths.js';

/**
 * Real storage faults for tests, as root: a small tmpfs to fill up, an ext4 file system that the
 * kernel turns read-only after an error, and another process holding a database's write lock.
 */

export const isRoot = process.getuid?.() === 0;

function run(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Unmounts, lazily if something still has files open there (a test that failed half-way). */
function unmount(dir: string): void {
  try {
    run('umount', [dir]);
  } catch {
    try {
      run('umount', ['-l', dir]);
    } catch {
      // Not mounted (any more).
    }
  }
}

export interface Tmpfs {
  dir: string;
  /** Writes a file until the file system refuses with ENOSPC. */
  fill(): void;
  /** Removes what fill() wrote. */
  free(): void;
  unmount(): void;
}

/** A tmpfs of `sizeMb` mounted on a fresh folder. */
export function mountTmpfs(sizeMb: number): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), 'pharos-tmpfs-'));
  run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir]);
  const filler = join(dir, 'filler');
  return {
    dir,
    fill: () => {
      const fd = openSync(filler, 'a');
      try {
        // Big blocks first, then small ones for the last pages.
        for (const size of [2 ** 20, 4096]) {
          const block = Buffer.alloc(size, 1);
          for (;;) {
            try {
              writeSync(fd, block);
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw err;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
    },
    free: () => rmSync(filler, { force: true }),
    unmount: () => {
      unmount(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Ext4 {
  dir: string;
  /** Makes the kernel meet an error on the file system: with errors=remount-ro, it stops taking writes. */
  fail(): void;
  /** Unmounts, repairs (e2fsck) and mounts it again: what an operator does after such an error. */
  repair(): void;
  unmount(): void;
}

/**
 * An ext4 file system of `sizeMb` in an image file, mounted through a loop device with
 * errors=remount-ro, as a server's data disk is. (A tmpfs cannot be made read-only under a running
 * Pharos: the kernel refuses to remount read-only while files are open for writing, "mount point is
 * busy"; a disk error is how a data folder really goes read-only under a running process.)
 */
export function mountExt4(sizeMb: number): Ext4 {
  const dir = mkdtempSync(join(tmpdir(), 'pharos-ext4-'));
  const image = `${dir}.img`;
  run('truncate', ['-s', `${sizeMb}M`, image]);
  run('mkfs.ext4', ['-q', '-F', image]);
  const mount = () => run('mount', ['-o', 'loop,errors=remount-ro', image, dir]);
  mount();
  const device = () => {
    const line = readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .find((l) => l.split(' ')[1] === dir);
    const dev = line?.split(' ')[0];
    if (!dev) throw new Error(`${dir} is not mounted`);
    return basename(dev);
  };
  return {
    dir,
    fail: () => execFileSync('sh', ['-c', `echo pharos-test > /sys/fs/ext4/${device()}/trigger_fs_error`]),
    repair: () => {
      unmount(dir);
      try {
        run('e2fsck', ['-f', '-y', image]);
      } catch (err) {
        // Exit status 1: errors were corrected, which is the point.
        if ((err as { status?: number }).status !== 1) throw err;
      }
      mount();
    },
    unmount: () => {
      unmount(dir);
      rmSync(dir, { recursive: true, force: true });
      rmSync(image, { force: true });
    },
  };
}

/** Another process holding `file`'s write lock (BEGIN IMMEDIATE) until release(). */
export async function holdWriteLock(file: string): Promise<{ release(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/db-lock-holder.ts', file], {
    cwd: projectRoot(),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => (d.toString().includes('held') ? resolve() : undefined));
    child.once('exit', (code) => reject(new Error(`the lock holder exited with ${code}`)));
  });
  return {
    release: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin?.end();
      await exited;
    },
  };
}
