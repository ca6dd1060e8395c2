// npm run bench:edge: a primary and two edges on one Redis (Debian's redis-server), all on 127.0.0.1.
// 1. A primary's commit on every edge: 100 updates posted one after the other, each timed from the PATCH
//    to its receipt by a live viewer of each edge (and of the primary, for reference).
// 2. 10,000 live viewers on one edge (websocket, spread over client processes), one update posted on
//    the primary: each viewer's latency from the PATCH.
// 3. The status page from an edge against the same page from the primary, with wrk.
// 4. What an edge's checks cost when it applies a publication (edge-verify.ts): the whole state, and
//    one update's entry, with the checks made before signatures and with today's.
// Bounded in time and count; it stops by itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../server/realtime/types.js';
import { ClientProcess, gather, now, pageHashes } from './crowd.js';
import { measureVerification, type Cost } from './edge-verify.js';
import type { FromClient } from './fanout-client.js';
import { buildProduction, freePort, startProduction, treeStats, type RunningPharos } from './pharos-process.js';
import { percentile, report } from './report.js';
import { SEEDED_PAGE, seed } from './seed.js';
import { needTools, wrk } from './wrk.js';

const VIEWERS = Number(process.env.BENCH_VIEWERS ?? 10_000);
const UPDATES = Number(process.env.BENCH_UPDATES ?? 100);
const PROCESSES = Number(process.env.BENCH_CLIENT_PROCESSES ?? 4);
const DURATION = Number(process.env.BENCH_SECONDS ?? 6);
const UPDATES_CHECKED = 20;
/** Shared by the primary and its edges: the primary signs what it publishes, edges check it. */
const SECRET = randomBytes(32).toString('base64');

const ms = (v: number) => `${Math.round(v)} ms`;
const spread = (sorted: number[]) =>
  `${ms(percentile(sorted, 50))} / ${ms(percentile(sorted, 95))} / ${ms(percentile(sorted, 99))} / ${ms(sorted.at(-1) ?? NaN)}`;

async function startRedis(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
  return { url: `redis://127.0.0.1:${port}`, child };
}

/** One live viewer (websocket, as the page's script), resolving `waitFor` when an update holds `text`. */
function watcher(url: string, hashes: Record<string, string>) {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, { transports: ['websocket'], forceNew: true, auth: (cb) => cb({ v: 2, hashes }) });
  let waiting: { text: string; resolve: (at: number) => void } | undefined;
  const ready = new Promise<void>((resolve) => socket.once('page', () => resolve()));
  socket.on('page', (update) => {
    if (waiting && Object.values(update.html).some((html) => html.includes(waiting?.text ?? '\0'))) {
      const w = waiting;
      waiting = undefined;
      w.resolve(now());
    }
  });
  return {
    ready,
    socket,
    waitFor(text: string, timeoutMs = 10_000): Promise<number> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${url}: no update with "${text}" within ${timeoutMs} ms`)), timeoutMs);
        waiting = { text, resolve: (at) => (clearTimeout(timer), resolve(at)) };
      });
    },
  };
}

async function main(): Promise<void> {
  needTools('redis-server', 'wrk');
  buildProduction();
  const dir = mkdtempSync(join(tmpdir(), 'pharos-bench-edge-'));
  const dataDir = join(dir, 'primary');
  const seeded = seed(dataDir);
  const redis = await startRedis(dir);
  const nodes: RunningPharos[] = [];
  const clients: ClientProcess[] = [];
  const watchers: ReturnType<typeof watcher>[] = [];
  try {
    const primary = await startProduction(dataDir, { REDIS_URL: redis.url, REPLICATION_SECRET: SECRET });
    nodes.push(primary);
    const edges: RunningPharos[] = [];
    for (const name of ['edge-a', 'edge-b']) {
      // An edge has no database: its data folder stays empty.
      mkdirSync(join(dir, name));
      const edge = await startProduction(join(dir, name), {
        PHAROS_ROLE: 'edge',
        REDIS_URL: redis.url,
        REPLICATION_SECRET: SECRET,
        PRIMARY_URL: primary.url,
        // Every viewer comes from 127.0.0.1 here: lift the per-network cap on live connections.
        LIVE_MAX_PER_ADDRESS: String(VIEWERS * 2),
      });
      edges.push(edge);
      nodes.push(edge);
    }
    const [edgeA] = edges;
    if (!edgeA) throw new Error('no edge');
    const incidentId = seeded.openIncidentIds[0] ?? '';
    const patch = async (body: string) => {
      const res = await fetch(`${primary.url}/api/v1/pages/${seeded.pageId}/incidents/${incidentId}`, {
        method: 'PATCH',
        headers: { Authorization: `OAuth ${seeded.apiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ incident: { body } }),
      });
      if (!res.ok) throw new Error(`update refused: ${res.status} ${await res.text()}`);
    };

    // 1. Commit to every edge, one update at a time.
    for (const node of [primary, ...edges]) watchers.push(watcher(node.url, await pageHashes(node.url)));
    await Promise.all(watchers.map((w) => w.ready));
    const onPrimary: number[] = [];
    const onEdges: number[] = [];
    const onAllEdges: number[] = [];
    for (let i = 0; i < UPDATES; i++) {
      const text = `Edge benchmark update ${i + 1}.`;
      const received = watchers.map((w) => w.waitFor(text));
      const postedAt = now();
      await patch(text);
      const [mine, ...theirs] = (await Promise.all(received)).map((t) => t - postedAt);
      onPrimary.push(mine ?? NaN);
      onEdges.push(...theirs);
      onAllEdges.push(Math.max(...theirs));
    }
    for (const list of [onPrimary, onEdges, onAllEdges]) list.sort((a, b) => a - b);
    for (const w of watchers) w.socket.close();

    // 2. A crowd on edge A, one update from the primary.
    clients.push(...Array.from({ length: PROCESSES }, () => new ClientProcess()));
    const hashes = await pageHashes(edgeA.url);
    const t0 = now();
    const share = (i: number) => Math.floor(VIEWERS / PROCESSES) + (i < VIEWERS % PROCESSES ? 1 : 0);
    const connected = clients.map((c) => c.next<Extract<FromClient, { type: 'connected' }>>('connected', 120_000));
    clients.forEach((c, i) => c.send({ type: 'start', url: edgeA.url, count: share(i), process: i, hashes }));
    const counts = await Promise.all(connected);
    const connectMs = now() - t0;
    const viewers = counts.reduce((s, c) => s + c.count, 0);
    await new Promise((r) => setTimeout(r, 2000));
    const edgeStats = treeStats(edgeA.child.pid ?? 0);
    let postedAt = 0;
    const crowd = await gather(clients, 'update', async () => {
      postedAt = now();
      await patch('Edge benchmark: the attack is filtered.');
    });
    const latencies = crowd.times.map((t) => t - postedAt);
    for (const c of clients) c.send({ type: 'exit' });
    clients.length = 0;
    await new Promise((r) => setTimeout(r, 2000));

    // 3. The page from an edge and from the primary, one after the other.
    const fromEdge = wrk(`${edgeA.url}/`, 100, DURATION, ['Accept-Encoding: br']);
    const fromPrimary = wrk(`${primary.url}/`, 100, DURATION, ['Accept-Encoding: br']);

    // 4. The checks an edge makes when it applies a publication, in this process.
    let n = 0;
    const cost = await measureVerification(redis.url, seeded.pageId, SECRET, () => patch(`Edge benchmark: checked update ${++n}.`), UPDATES_CHECKED);
    const both = (before: Cost, after: Cost) =>
      `${before.wall.toFixed(1)} / ${after.wall.toFixed(1)} ms (CPU ${before.cpu.toFixed(1)} / ${after.cpu.toFixed(1)} ms)`;

    report(
      `edge: a primary and two edges on one Redis, ${VIEWERS.toLocaleString('en')} viewers on one edge`,
      'npm run bench:edge',
      [
        [`a commit on each edge: PATCH to a viewer's receipt, ${UPDATES} updates × 2 edges · p50 / p95 / p99 / max`, spread(onEdges), 'p99 < 100 ms'],
        ['a commit on both edges (the later of the two) · p50 / p95 / p99 / max', spread(onAllEdges), ''],
        ["the same on the primary's own viewer, for reference · p50 / p95 / p99 / max", spread(onPrimary), ''],
        [
          'viewers connected to edge A (websocket)',
          `${viewers.toLocaleString('en')} of ${VIEWERS.toLocaleString('en')} in ${(connectMs / 1000).toFixed(1)} s${counts.some((c) => c.failed) ? ` · ${counts.reduce((s, c) => s + c.failed, 0)} failed` : ''}`,
          'all',
        ],
        [
          'received the update',
          `${crowd.times.length.toLocaleString('en')} of ${viewers.toLocaleString('en')}${crowd.missing ? ` · ${crowd.missing} missing` : ''}`,
          'all',
        ],
        ['delivery latency on edge A from the PATCH on the primary · p50 / p95 / p99 / max', spread(latencies), 'p99 < 500 ms'],
        ['edge A RSS with the viewers connected', `${edgeStats.rssMiB.toFixed(0)} MiB`, ''],
        [
          '/ · brotli · 100 conn · edge / primary req/s (p99)',
          `${Math.round(fromEdge.rps)} / ${Math.round(fromPrimary.rps)} (${fromEdge.p99.toFixed(1)} / ${fromPrimary.p99.toFixed(1)} ms)${fromEdge.errors ? ` · edge: ${fromEdge.errors}` : ''}`,
          '',
        ],
        [
          `an edge checking a whole state (${cost.docs} documents, ${(cost.bytes / 2 ** 20).toFixed(1)} MiB as stored) · checks before signatures / all checks · median of 5`,
          both(cost.wholeBefore, cost.wholeNow),
          '',
        ],
        [
          `an edge checking one update (${cost.entryDocs.toFixed(1)} documents on average) · before / all · median of ${UPDATES_CHECKED} (the slowest)`,
          `${both(cost.entryBefore, cost.entryNow)} (${cost.entryBeforeMax.toFixed(1)} / ${cost.entryNowMax.toFixed(1)} ms)`,
          '',
        ],
      ],
      [
        `Seeded page: ${SEEDED_PAGE}. Production build: a primary with REDIS_URL and two edges (PHAROS_ROLE=edge), one process each, Debian's redis-server without persistence, all on the machine's 2 cores with the load generators (${PROCESSES} client processes of socket.io-client at nice 10, websocket only, each viewer sending the page's region hashes as a browser does; wrk -t2 for ${DURATION} s). Latencies are wall clock across processes, from just before the PATCH is sent to the primary. The checks' cost is measured in the benchmark's process on what the primary wrote to Redis: before signatures, an edge parsed each document and compared its bytes with its ETag; now it also checks the allow-list, each document's and the state's HMAC and the set's digest, and decompresses every br and gzip form (on the thread pool) to compare it with the bytes.`,
      ],
    );
  } finally {
    for (const w of watchers) w.socket.close();
    for (const c of clients) {
      if (c.child.connected) c.send({ type: 'exit' });
      setTimeout(() => c.child.kill('SIGKILL'), 2000).unref();
    }
    for (const node of nodes.reverse()) await node.stop();
    redis.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

main()
  .then(() => process.exit(0))
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
