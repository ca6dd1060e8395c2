// Part of npm run bench:flood: acknowledged writes per second against the length of the history. For
// each number of past incidents, a page is seeded through the domain, then started with one process and
// with WEB_CONCURRENCY=2: the time from the process's start to its first answer, then WRITERS clients
// posting incident updates through the management API as fast as they are acknowledged.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProduction, treeStats } from './pharos-process.js';
import { percentile } from './report.js';
import { seed } from './seed.js';
import { loadConfig } from '../../server/config.js';
import { createContext } from '../../server/compose.js';
import { patchIncident } from '../../server/domain/incidents/writes.js';
import { lastEventId } from '../../server/domain/write-path.js';
import { createLog } from '../../server/log.js';

/** Clients posting at once (each waits for its answer before the next). */
export const WRITERS = 8;
/** Open incidents the updates go to, in turn: each page's timeline grows slowly, whatever the run's length. */
export const OPEN = 20;

export interface WritesRow {
  incidents: number;
  /** The snapshot's rebuild after one update, timed in-process (CPU time, ms): p50, p95; and its first build. */
  rebuild: { p50: number; p95: number; first: number };
  processes: string;
  startMs: number;
  writesPerSecond: number;
  p50: number;
  p99: number;
  refused: number;
  /** Resident memory of the process and its workers after the writes. */
  rssMiB: number;
}

/** WRITERS clients posting incident updates for `seconds`: acknowledged writes per second and their latency. */
async function writeFor(url: string, pageId: string, apiKey: string, incidents: string[], seconds: number) {
  const headers = { Authorization: `OAuth ${apiKey}`, 'Content-Type': 'application/json' };
  const latencies: number[] = [];
  let refused = 0;
  let n = 0;
  const post = async () => {
    const i = n++;
    const started = performance.now();
    const res = await fetch(`${url}/api/v1/pages/${pageId}/incidents/${incidents[i % incidents.length] ?? ''}`, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ incident: { status: i % 2 ? 'identified' : 'monitoring', body: `Update ${i} of the storm.` } }),
      signal: AbortSignal.timeout(30_000),
    });
    await res.arrayBuffer();
    if (res.ok) latencies.push(performance.now() - started);
    else refused++;
  };
  // Warm-up: the first writes compile what every later one uses.
  for (let i = 0; i < 20; i++) await post();
  latencies.length = 0;
  const ends = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (performance.now() < ends) await post();
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { writesPerSecond: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), refused };
}

/** The snapshot's first build, then its rebuild after each of 40 updates (5 more first, to warm up), in CPU time. */
export function rebuildTimes(seeded: string, incidents: string[]): WritesRow['rebuild'] {
  const dir = mkdtempSync(join(tmpdir(), 'pharos-bench-rebuild-'));
  cpSync(seeded, dir, { recursive: true });
  const ctx = createContext(loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', PAGE_NAME: 'ACME Status' }), { log: createLog('silent') });
  const cpu = (since: NodeJS.CpuUsage) => {
    const used = process.cpuUsage(since);
    return (used.user + used.system) / 1000;
  };
  try {
    let started = process.cpuUsage();
    ctx.snapshot.current();
    const first = cpu(started);
    const times: number[] = [];
    for (let i = 0; i < 45; i++) {
      patchIncident(ctx, { type: 'system' }, incidents[i % incidents.length] ?? '', { status: i % 2 ? 'identified' : 'monitoring', body: `Update ${i}.` });
      started = process.cpuUsage();
      // Nothing is wired here: the rebuild is asked for as compose.ts's wire() asks for it.
      ctx.snapshot.rebuild(lastEventId(ctx));
      if (i >= 5) times.push(cpu(started));
    }
    times.sort((a, b) => a - b);
    return { p50: percentile(times, 50), p95: percentile(times, 95), first };
  } finally {
    ctx.db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** For each size: seeded once, measured with one process and with two HTTP workers. */
export async function writesAgainstHistory(sizes: number[], seconds: number): Promise<WritesRow[]> {
  const rows: WritesRow[] = [];
  for (const incidents of sizes) {
    const seeded = mkdtempSync(join(tmpdir(), 'pharos-bench-writes-'));
    try {
      const t = performance.now();
      // About three incidents a day: 10,000 are nine years of history.
      const page = seed(seeded, { pastIncidents: incidents, days: Math.max(90, Math.round(incidents / 3)), openIncidents: OPEN });
      console.log(`seeded ${incidents} past incidents in ${((performance.now() - t) / 1000).toFixed(0)} s`);
      const rebuild = rebuildTimes(seeded, page.openIncidentIds);
      for (const workers of [1, 2]) {
        const dir = mkdtempSync(join(tmpdir(), 'pharos-bench-writes-run-'));
        cpSync(seeded, dir, { recursive: true });
        const started = performance.now();
        const pharos = await startProduction(dir, workers > 1 ? { WEB_CONCURRENCY: String(workers) } : {});
        const startMs = performance.now() - started;
        try {
          const measured = await writeFor(pharos.url, page.pageId, page.apiKey, page.openIncidentIds, seconds);
          const { rssMiB } = treeStats(pharos.child.pid ?? 0);
          rows.push({ incidents, rebuild, processes: workers > 1 ? `WEB_CONCURRENCY=${workers}` : 'one process', startMs, ...measured, rssMiB });
          console.log(JSON.stringify(rows.at(-1)));
        } finally {
          await pharos.stop();
          rmSync(dir, { recursive: true, force: true });
        }
      }
    } finally {
      rmSync(seeded, { recursive: true, force: true });
    }
  }
  return rows;
}
