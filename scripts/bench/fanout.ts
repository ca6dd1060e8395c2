// npm run bench:fanout: N socket.io viewers of the seeded status page (default 10,000, websocket, spread
// over several client processes), one update posted through the management API: each viewer's delivery
// latency from the POST, how many received it, the server's RSS and CPU; then a server restart and the
// time until every viewer is back and current. Everything on 127.0.0.1, bounded in time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLIENT_NICE, ClientProcess, gather, now, pageShown, WAIT_MS } from './crowd.js';
import type { FromClient } from './fanout-client.js';
import { buildProduction, processStats, startProduction, treeStats, type RunningPharos } from './pharos-process.js';
import { percentile, report } from './report.js';
import { SEEDED_PAGE, seed } from './seed.js';
import { grew, tcpCounters } from './tcp-counters.js';

const VIEWERS = Number(process.env.BENCH_VIEWERS ?? 10_000);
/** HTTP workers of the server (its WEB_CONCURRENCY). */
const WORKERS = Number(process.env.BENCH_WEB_CONCURRENCY ?? 1);
const PROCESSES = Number(process.env.BENCH_CLIENT_PROCESSES ?? 4);
/** BENCH_SCHED=none: node:cluster lets each worker accept by itself (NODE_CLUSTER_SCHED_POLICY) rather than round robin. */
const SCHED = process.env.BENCH_SCHED;

const ms = (v: number) => `${Math.round(v)} ms`;

async function main(): Promise<void> {
  buildProduction();
  const dir = mkdtempSync(join(tmpdir(), 'pharos-bench-fanout-'));
  const seeded = seed(dir);
  // Every viewer comes from 127.0.0.1 here: lift the per-network cap on live connections.
  const env = {
    LIVE_MAX_PER_ADDRESS: String(VIEWERS * 2),
    WEB_CONCURRENCY: String(WORKERS),
    ...(SCHED ? { NODE_CLUSTER_SCHED_POLICY: SCHED } : {}),
  };
  let pharos: RunningPharos | undefined = await startProduction(dir, env);
  const clients = Array.from({ length: PROCESSES }, () => new ClientProcess());
  try {
    const url = pharos.url;
    const shown = await pageShown(url);
    const idle = treeStats(pharos.child.pid ?? 0);

    // Connect everyone, spread over the client processes.
    const t0 = now();
    const share = (i: number) => Math.floor(VIEWERS / PROCESSES) + (i < VIEWERS % PROCESSES ? 1 : 0);
    const connected = clients.map((c) => c.next<Extract<FromClient, { type: 'connected' }>>('connected', 120_000));
    clients.forEach((c, i) => c.send({ type: 'start', url, count: share(i), process: i, ...shown }));
    const counts = await Promise.all(connected);
    const connectMs = now() - t0;
    const viewers = counts.reduce((s, c) => s + c.count, 0);
    await new Promise((r) => setTimeout(r, 2000));
    const settled = treeStats(pharos.child.pid ?? 0);

    // One update, through the management API, changing an incident and a component.
    const incidentId = seeded.openIncidentIds[0] ?? '';
    const componentId = seeded.componentIds[1] ?? '';
    let postedAt = 0;
    let answeredMs = 0;
    const before = treeStats(pharos.child.pid ?? 0);
    const update = await gather(clients, 'update', async () => {
      postedAt = now();
      const res = await fetch(`${url}/api/v1/pages/${seeded.pageId}/incidents/${incidentId}`, {
        method: 'PATCH',
        headers: { Authorization: `OAuth ${seeded.apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          incident: { status: 'identified', body: 'Fanout benchmark: the attack is filtered.', components: { [componentId]: 'partial_outage' } },
        }),
      });
      answeredMs = now() - postedAt;
      if (!res.ok) throw new Error(`update refused: ${res.status} ${await res.text()}`);
    });
    const after = treeStats(pharos.child.pid ?? 0);
    const latencies = update.times.map((t) => t - postedAt);

    // A restart: SIGTERM, a new process on the same port; every viewer reconnects by itself.
    let stoppedAt = 0;
    let goneAt = 0;
    let readyAt = 0;
    const tcpBefore = tcpCounters();
    const clientCpu = () => clients.reduce((sum, c) => sum + processStats(c.child.pid ?? 0).cpuSeconds, 0);
    const clientsBefore = clientCpu();
    const restart = await gather(clients, 'restart', async () => {
      const port = pharos?.port;
      stoppedAt = now();
      await pharos?.stop();
      goneAt = now();
      pharos = await startProduction(dir, env, port);
      readyAt = now();
    });
    const tcpAfter = tcpCounters();
    const restartCpu = { server: treeStats(pharos.child.pid ?? 0).cpuSeconds, clients: clientCpu() - clientsBefore };
    const back = restart.times.map((t) => t - stoppedAt);
    if (process.env.BENCH_DEBUG) {
      const perSecond = (label: string, times: number[]) => {
        const buckets = new Map<number, number>();
        for (const t of times) buckets.set(Math.floor((t - stoppedAt) / 1000), (buckets.get(Math.floor((t - stoppedAt) / 1000)) ?? 0) + 1);
        const line = [...buckets].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}s:${n}`);
        console.log(`${label} per second from SIGTERM (${times.length}):`, line.join(' '));
      };
      perSecond('back', restart.times);
      perSecond('attempts', restart.attempts);
      perSecond('failed attempts', restart.errors);
    }

    report(
      `fanout: ${VIEWERS.toLocaleString('en')} live viewers, one update${WORKERS > 1 ? `, WEB_CONCURRENCY=${WORKERS}` : ''}${SCHED ? `, NODE_CLUSTER_SCHED_POLICY=${SCHED}` : ''}`,
      `${VIEWERS !== 10_000 ? `BENCH_VIEWERS=${VIEWERS} ` : ''}${WORKERS > 1 ? `BENCH_WEB_CONCURRENCY=${WORKERS} ` : ''}${SCHED ? `BENCH_SCHED=${SCHED} ` : ''}${CLIENT_NICE !== 10 ? `BENCH_CLIENT_NICE=${CLIENT_NICE} ` : ''}npm run bench:fanout`,
      [
        [
          'viewers connected (websocket)',
          `${viewers.toLocaleString('en')} of ${VIEWERS.toLocaleString('en')} in ${(connectMs / 1000).toFixed(1)} s${counts.some((c) => c.failed) ? ` · ${counts.reduce((s, c) => s + c.failed, 0)} failed` : ''}`,
          'all',
        ],
        ['update PATCH answered', ms(answeredMs), ''],
        ['received the update', `${update.times.length.toLocaleString('en')} of ${viewers.toLocaleString('en')}`, 'all'],
        [
          'delivery latency from the POST · p50 / p95 / p99 / max',
          `${ms(percentile(latencies, 50))} / ${ms(percentile(latencies, 95))} / ${ms(percentile(latencies, 99))} / ${ms(latencies.at(-1) ?? NaN)}`,
          'p99 < 500 ms',
        ],
        [
          `server RSS (${settled.processes} process${settled.processes > 1 ? 'es' : ''}): idle / with the viewers connected / after the update`,
          `${idle.rssMiB.toFixed(0)} / ${settled.rssMiB.toFixed(0)} / ${after.rssMiB.toFixed(0)} MiB`,
          WORKERS > 1 ? '' : '< 400 MiB',
        ],
        [
          'server CPU: connecting everyone / sending the update',
          `${(settled.cpuSeconds - idle.cpuSeconds).toFixed(1)} s / ${(after.cpuSeconds - before.cpuSeconds).toFixed(2)} s`,
          '',
        ],
        ['restart: old process gone / new process answering, from SIGTERM', `${ms(goneAt - stoppedAt)} / ${ms(readyAt - stoppedAt)}`, ''],
        [
          'restart: viewers back and current, from SIGTERM · p50 / p99 / last',
          `${ms(percentile(back, 50))} / ${ms(percentile(back, 99))} / ${ms(back.at(-1) ?? NaN)}${restart.missing ? ` · ${restart.missing} not back within ${WAIT_MS / 1000} s` : ''}`,
          VIEWERS >= 20_000 ? 'p99 < 8 s' : '',
        ],
        [
          'restart: CPU of the new server (from its start) / of the client processes, until everyone is back',
          `${restartCpu.server.toFixed(1)} s / ${restartCpu.clients.toFixed(1)} s`,
          '',
        ],
        ["restart: the kernel's TCP counters that grew (machine-wide)", grew(tcpBefore, tcpAfter), ''],
      ],
      [
        `Seeded page: ${SEEDED_PAGE}. ${PROCESSES} client processes speaking socket.io's protocol on bare websockets (raw-viewer.ts: socket.io-client's own CPU per connection outweighed the server's on these shared cores; reconnecting as the page's script does: spread over the time the server hints), each viewer connecting with the page's region and row hashes as a browser does. Pharos from the production build, ${WORKERS > 1 ? `WEB_CONCURRENCY=${WORKERS} (HTTP workers and the primary process; RSS and CPU summed over them)` : 'one process'}; clients and server share the machine's 2 cores, the client processes at nice ${CLIENT_NICE} (in production the viewers are elsewhere). Latency is from just before the PATCH is sent to each viewer's receipt, wall clock across processes.`,
      ],
    );
  } finally {
    for (const c of clients) {
      if (c.child.connected) c.send({ type: 'exit' });
      setTimeout(() => c.child.kill('SIGKILL'), 2000).unref();
    }
    await pharos?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main()
  .then(() => process.exit(0))
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
