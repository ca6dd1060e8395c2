import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort, PharosProcess, sleep } from '../helpers/process.js';

/**
 * One Pharos server per data folder, whatever the timing: two servers started at the same moment on
 * one folder (fresh, or left locked by a server killed with SIGKILL) never both run.
 */

const TRIALS = 10;

/** Resolves with the process once it answers HTTP, or once it has exited. */
async function outcome(p: PharosProcess, url: string): Promise<'running' | 'refused'> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if (!p.alive) return 'refused';
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return 'running';
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`neither running nor refused within 30 s:\n${p.log}`);
}

describe('the data-folder lock', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pharos-lock-'));
  const children: PharosProcess[] = [];
  after(async () => {
    for (const c of children) if (c.alive) await c.kill('SIGKILL').catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    `lets exactly one of two servers started at once run, ${TRIALS} times, over a fresh folder and over the lock of a killed one`,
    { timeout: 600_000 },
    async () => {
      for (let trial = 1; trial <= TRIALS; trial++) {
        const ports = [await freePort(), await freePort()];
        const pair = ports.map((port) => new PharosProcess({ DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' }));
        children.push(...pair);
        const results = await Promise.all(pair.map((p, i) => outcome(p, `http://127.0.0.1:${ports[i]}`)));
        // The refused one has exited; the winner must still be the only one running a moment later.
        await sleep(300);
        const running = pair.filter((p) => p.alive);
        assert.equal(running.length, 1, `trial ${trial}: ${results.join(' and ')}\n--- first:\n${pair[0]?.log}\n--- second:\n${pair[1]?.log}`);
        const loser = pair.find((p) => !p.alive);
        assert.ok(loser);
        assert.equal((await loser.exited).code, 1, `trial ${trial}: the refused server exits 1`);
        assert.match(loser.log, /Another Pharos server \(pid \d+\) is using/, `trial ${trial}: it says why`);
        assert.doesNotMatch(loser.log, /migration/i, `trial ${trial}: it stopped before touching the database`);
        // The winner dies without cleaning up: its lock must not stop the next trial's servers.
        await running[0]?.kill('SIGKILL');
      }
    },
  );

  it('is released by a clean shutdown too: the next server starts at once', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const first = new PharosProcess({ DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
    children.push(first);
    assert.equal(await outcome(first, `http://127.0.0.1:${port}`), 'running');
    await first.kill('SIGTERM');
    const next = new PharosProcess({ DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
    children.push(next);
    assert.equal(await outcome(next, `http://127.0.0.1:${port}`), 'running');
    await next.kill('SIGTERM');
  });
});
