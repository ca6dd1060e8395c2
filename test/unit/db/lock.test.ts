import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { lockDataDir, LockError } from '../../../server/db/lock.js';
import { projectRoot } from '../../../server/lib/paths.js';

/**
 * The data-folder lock under true simultaneity: several processes spin until one agreed instant and
 * take it together; exactly one gets it, whether the folder is fresh or was held by a process killed
 * with SIGKILL (whose lock no one deletes).
 */

const CONTENDERS = 6;
const ROUNDS = 5;

interface Contender {
  child: ChildProcess;
  said: Promise<string>;
}

function contender(dataDir: string, at: number): Contender {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/lock-contender.ts', dataDir, String(at)], {
    cwd: projectRoot(),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const said = new Promise<string>((resolve) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', () => resolve(out.trim() || 'exited'));
  });
  return { child, said };
}

describe('the data-folder lock', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  for (const start of ['a fresh folder', 'the lock of a process killed with SIGKILL'] as const) {
    it(`goes to exactly one of ${CONTENDERS} processes taking it at the same instant, over ${start}`, { timeout: 120_000 }, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'pharos-lock-'));
      dirs.push(dataDir);
      for (let round = 1; round <= ROUNDS; round++) {
        if (start === 'a fresh folder') rmSync(join(dataDir, 'pharos.lock'), { force: true });
        // Far enough ahead for every process to have loaded the module.
        const at = Date.now() + 1_500;
        const group = Array.from({ length: CONTENDERS }, () => contender(dataDir, at));
        children.push(...group.map((g) => g.child));
        const said = await Promise.all(group.map((g) => g.said));
        assert.equal(said.filter((s) => s === 'got').length, 1, `round ${round}: ${said.join(', ')}`);
        assert.equal(said.filter((s) => s === 'refused').length, CONTENDERS - 1, `round ${round}: ${said.join(', ')}`);
        const holder = group[said.indexOf('got')]?.child;
        assert.ok(holder);
        const gone = new Promise((resolve) => holder.once('exit', resolve));
        holder.kill('SIGKILL');
        await gone;
      }
    });
  }

  it('refuses a second holder in the same process and names the holder; released, it can be taken again', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pharos-lock-'));
    dirs.push(dataDir);
    const release = lockDataDir(dataDir);
    assert.throws(
      () => lockDataDir(dataDir),
      (err: unknown) => err instanceof LockError && err.message.includes(`Another Pharos server (pid ${process.pid})`),
    );
    release();
    assert.ok(!existsSync(join(dataDir, 'pharos.pid')), 'the holder note goes with the lock');
    lockDataDir(dataDir)();
  });
});
