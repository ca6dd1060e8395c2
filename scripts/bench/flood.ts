// npm run bench:flood: the operator's update (PATCH through the management API) on the seeded page, its
// latency alone and while wrk floods the status page with 1,000 connections: writes must not starve.
// Then acknowledged writes per second against the length of the history (writes.ts): 100, 1,000 and
// 10,000 past incidents (BENCH_SIZES), one process and two workers, and the time to start at each size.
// BENCH_PARTS=flood or BENCH_PARTS=writes runs one part. Everything on 127.0.0.1, bounded in time; it
// stops by itself.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProduction, startProduction } from './pharos-process.js';
import { percentile, report } from './report.js';
import { SEEDED_PAGE, seed } from './seed.js';
import { needTools, parseWrk } from './wrk.js';
import { OPEN, WRITERS, writesAgainstHistory } from './writes.js';

const FLOOD_SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WRITE_SECONDS = Number(process.env.BENCH_WRITE_SECONDS ?? 10);
const SIZES = (process.env.BENCH_SIZES ?? '100,1000,10000').split(',').map(Number);
const PARTS = (process.env.BENCH_PARTS ?? 'flood,writes').split(',');
const CONNECTIONS = 1000;

async function main(): Promise<void> {
  buildProduction();
  if (PARTS.includes('flood')) await flood();
  if (PARTS.includes('writes')) {
    const rows = await writesAgainstHistory(SIZES, WRITE_SECONDS);
    report(
      'writes against history: acknowledged updates per second, 100 to 10,000 past incidents',
      'npm run bench:flood',
      rows.flatMap((r) => [
        ...(r.processes === 'one process'
          ? [
              [
                `${r.incidents.toLocaleString('en')} past incidents · snapshot: first build · rebuild after an update p50 / p95 (CPU)`,
                `${(r.rebuild.first / 1000).toFixed(2)} s · ${r.rebuild.p50.toFixed(1)} / ${r.rebuild.p95.toFixed(1)} ms`,
                '',
              ] as [string, string, string],
            ]
          : []),
        [
          `${r.incidents.toLocaleString('en')} past incidents · ${r.processes}`,
          `start ${(r.startMs / 1000).toFixed(1)} s · ${Math.round(r.writesPerSecond)} writes/s · POST p50 / p99 ${r.p50.toFixed(0)} / ${r.p99.toFixed(0)} ms · ${Math.round(r.rssMiB)} MiB${r.refused ? ` · ${r.refused} refused` : ''}`,
          '',
        ] as [string, string, string],
      ]),
      [
        `40 components in 6 groups, ${OPEN} open incidents, N past incidents (about three a day) seeded through the domain. Start: from the process's start to its first answer (/api/v2/status.json). Then ${WRITERS} clients PATCH the open incidents in turn (a new update and status each) through the management API for ${WRITE_SECONDS} s, each waiting for its answer: acknowledged writes per second, the latency of each, and the resident memory of the process (and its workers) after. The snapshot's rebuild is timed in the bench's own process on the same data (CPU time, 40 updates after 5 to warm up).`,
      ],
    );
  }
}

/** The operator's update, alone and while wrk floods the status page. */
async function flood(): Promise<void> {
  needTools('wrk');
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
