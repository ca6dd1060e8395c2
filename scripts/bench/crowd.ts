// The benchmarks' crowd of live viewers: client processes of raw socket.io viewers (fanout-client.ts), driven
// over IPC, and the gathering of their receipt times for a phase (an update, a restart).
import { fork, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../server/lib/paths.js';
import type { FromClient, ToClient } from './fanout-client.js';

export const WAIT_MS = 30_000;
/** The client processes' niceness (BENCH_CLIENT_NICE, default 10: the server first). */
export const CLIENT_NICE = Number(process.env.BENCH_CLIENT_NICE ?? 10);
export const now = () => performance.timeOrigin + performance.now();

/** The data-hash of every region of the page as served: what a browser that loaded it would send. */
export async function pageHashes(url: string): Promise<Record<string, string>> {
  return (await pageShown(url)).hashes;
}

/** What a page shows of its component rows: the layout they sit in, and each row's id and hash in order. */
export interface RowsShown {
  layout?: string;
  rows: [string, string][];
}

/** The rows of a components region's HTML, as public/js/status.js reads them from the page. */
export function rowsOf(html: string): RowsShown {
  return {
    layout: /<ul class="components" data-layout="([^"]+)"/.exec(html)?.[1],
    rows: [...html.matchAll(/id="component-([^"]+)" data-hash="([^"]+)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']),
  };
}

/** Everything a browser that loaded the page would send when it (re)connects: region hashes, layout, rows. */
export async function pageShown(url: string): Promise<RowsShown & { hashes: Record<string, string> }> {
  const html = await (await fetch(`${url}/`)).text();
  const hashes = Object.fromEntries([...html.matchAll(/<section id="([a-z]+)" data-hash="([^"]+)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
  return { hashes, ...rowsOf(html) };
}

export class ClientProcess {
  readonly child: ChildProcess;
  private readonly waiting = new Map<string, (m: FromClient) => void>();
  constructor() {
    this.child = fork(join(projectRoot(), 'scripts/bench/fanout-client.ts'), {
      // To profile the clients: BENCH_CLIENT_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof/clients".
      execArgv: ['--import', 'tsx', ...(process.env.BENCH_CLIENT_NODE_ARGS ?? '').split(' ').filter(Boolean)],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    // In production the viewers are other machines; here they share the server's 2 cores. At a lower
    // priority they take what the server leaves, rather than slowing the server that sends to them.
    if (this.child.pid) setPriority(this.child.pid, CLIENT_NICE);
    this.child.on('message', (m: FromClient) => {
      const key = m.type === 'times' ? `times:${m.phase}` : m.type;
      this.waiting.get(key)?.(m);
      this.waiting.delete(key);
    });
  }
  send(m: ToClient): void {
    this.child.send(m);
  }
  next<T extends FromClient>(key: string, ms: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${key} from a client process within ${ms} ms`)), ms);
      this.waiting.set(key, (m) => (clearTimeout(timer), resolve(m as T)));
    });
  }
}

/** Arms every client for a phase, runs `act`, and gathers the receipt times (missing ones counted). */
export async function gather(
  clients: ClientProcess[],
  phase: 'update' | 'restart',
  act: () => Promise<void>,
): Promise<{ times: number[]; missing: number; attempts: number[]; errors: number[] }> {
  for (const c of clients) c.send({ type: 'arm', phase });
  const results = clients.map((c) => c.next<Extract<FromClient, { type: 'times' }>>(`times:${phase}`, WAIT_MS + 10_000));
  await act();
  const late = setTimeout(() => clients.forEach((c) => c.send({ type: 'report' })), WAIT_MS);
  const all = await Promise.all(results);
  clearTimeout(late);
  return {
    times: all.flatMap((r) => r.times).sort((a, b) => a - b),
    missing: all.reduce((s, r) => s + r.missing, 0),
    attempts: all.flatMap((r) => r.trace?.attempts ?? []),
    errors: all.flatMap((r) => r.trace?.errors ?? []),
  };
}
