// npm run bench:flood: the operator's update (PATCH through the management API) on the seeded page, its
// latency alone and while wrk floods the status page with 1,000 connections: writes must not starve.
// Everything on 127.0.0.1, bounded in time; it stops by itself.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProduction, startProduction } from './pharos-process.js';
import { percentile, report } from './report.js';
import { SEEDED_PAGE, seed } from './seed.js';
import { needTools, parseWrk } from './wrk.js';

const FLOOD_SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const CONNECTIONS = 1000;

async function main(): Promise<void> {
  needTools('wrk');
  buildProduction();
  const dir = mkdtempSync(join(tmpdir(), 'pharos-bench-flood-'));
  const seeded = seed(dir);
  const pharos = await startProduction(dir);
  try {
    const url = `${pharos.url}/api/v1/pages/${seeded.pageId}/incidents/${seeded.openIncidentIds[0] ?? ''}`;
    const headers = { Authorization: `OAuth ${seeded.apiKey}`, 'Content-Type': 'application/json' };
    let n = 0;
    /** One operator update: a new message and a status change, through the one write path. */
    const post = async (): Promise<number> => {
      const started = performance.now();
      const status = n % 2 ? 'identified' : 'monitoring';
      const res = await fetch(url, {
        method: 'PATCH',
        headers,
        body: JSON.stringify({ incident: { status, body: `Update ${++n} during the flood.` } }),
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`update refused: ${res.status}`);
      return performance.now() - started;
    };
    const sample = async (until: () => boolean): Promise<number[]> => {
      const out: number[] = [];
      while (!until()) {
        out.push(await post());
        await new Promise((r) => setTimeout(r, 100));
      }
      return out.sort((a, b) => a - b);
    };

    // Alone: 50 updates, one every 100 ms.
    const alone = await sample(() => n >= 50);

    // Under the flood: wrk on / with 1,000 connections; updates from 2 s in until 2 s before it ends.
    let wrkOut = '';
    const wrk = spawn('bash', ['-c', `ulimit -n $(ulimit -Hn); exec wrk -t2 -c${CONNECTIONS} -d${FLOOD_SECONDS}s --latency ${pharos.url}/`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    wrk.stdout.on('data', (d: Buffer) => (wrkOut += d.toString()));
    const wrkDone = new Promise<void>((resolve) => wrk.once('exit', () => resolve()));
    const killer = setTimeout(() => wrk.kill('SIGKILL'), (FLOOD_SECONDS + 30) * 1000);
    await new Promise((r) => setTimeout(r, 2000));
    const floodEnds = Date.now() + (FLOOD_SECONDS - 4) * 1000;
    const flooded = await sample(() => Date.now() > floodEnds);
    await wrkDone;
    clearTimeout(killer);
    const flood = parseWrk(wrkOut);

    const row = (xs: number[]) => `${percentile(xs, 50).toFixed(0)} / ${percentile(xs, 99).toFixed(0)} / ${(xs.at(-1) ?? NaN).toFixed(0)} ms`;
    report(
      'write under flood: the operator posts while 1,000 connections read the status page',
      'npm run bench:flood',
      [
        [`operator update alone (n=${alone.length}) · p50 / p99 / max`, row(alone), ''],
        [`operator update during the flood (n=${flooded.length}) · p50 / p99 / max`, row(flooded), 'p99 < 200 ms'],
        [
          `the flood: GET / · ${CONNECTIONS} connections · req/s, p50 / p99`,
          `${Math.round(flood.rps)}, ${flood.p50.toFixed(1)} / ${flood.p99.toFixed(1)} ms${flood.errors ? ` · ${flood.errors}` : ''}`,
          '',
        ],
      ],
      [
        `Seeded page: ${SEEDED_PAGE}. Each update is a PATCH of an open incident through the management API with a new message and a status change (the transaction, the snapshot rebuild, the broadcast), one every 100 ms. wrk -t2 -c${CONNECTIONS} for ${FLOOD_SECONDS} s on / (uncompressed, the heavier case), on the same 2 cores as Pharos.`,
      ],
    );
  } finally {
    await pharos.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
