// One of the fanout benchmark's client processes: `count` live viewers of the status page (socket.io's
// protocol on a websocket, raw-viewer.ts; reconnecting as the page's script does), driven by its parent over IPC.
// It reports when all are connected, when each received the next update, and when each was back and
// current after a server restart. Times are wall-clock milliseconds (performance.timeOrigin + now()).
import type { PageUpdate } from '../../server/snapshot/snapshot.js';
import type { RetryHint } from '../../server/realtime/types.js';
import { rowsOf, type RowsShown } from './crowd.js';
import { RawViewer } from './raw-viewer.js';

type Viewer = RawViewer;
export type ToClient =
  | ({ type: 'start'; url: string; count: number; process: number; hashes: Record<string, string> } & Partial<RowsShown>)
  | { type: 'arm'; phase: 'update' | 'restart' }
  /** Report now, with whoever has not received yet counted as missing. */
  | { type: 'report' }
  | { type: 'exit' };
export type FromClient =
  | { type: 'connected'; count: number; failed: number }
  | { type: 'times'; phase: 'update' | 'restart'; times: number[]; missing: number; trace?: { attempts: number[]; errors: number[] } };

const now = () => performance.timeOrigin + performance.now();
// No stack traces: ws creates an error object for every socket that ends (its receiver ended twice), which
// with traces cost these processes about a tenth of their CPU over a restart. Nothing here prints them.
Error.stackTraceLimit = 0;
const send = (m: FromClient) => process.send?.(m);

const viewers: Viewer[] = [];
let armed: { phase: 'update' | 'restart'; times: (number | undefined)[]; away: boolean[] } | undefined;
/** BENCH_DEBUG: when attempts were made and failed while armed. */
const trace = { attempts: [] as number[], errors: [] as number[] };
let hashes: Record<string, string> = {};
/** The component rows the page shows (one page per client process: its viewers all get the same updates). */
let shown: RowsShown = { rows: [] };

/** What public/js/status.js's handshake sends: region hashes, and the rows' layout and 8 characters of each row's hash. */
function handshake(): Record<string, unknown> {
  const rows = shown.rows.map(([, hash]) => hash.slice(0, 8)).join('');
  return { v: 2, hashes, ...(shown.layout && rows.length <= 3000 ? { layout: shown.layout, rows } : {}) };
}

/** The version `shown` is at: every viewer of this process gets the same states, each applied once. */
let followed = -1;

/** Keeps the rows as the page would after an update: a whole components region, or rows patched in. */
function follow(update: { version: number; html: Record<string, string | undefined>; rows?: Record<string, string> }): void {
  if (update.version <= followed) return;
  followed = update.version;
  const region = update.html.components;
  if (typeof region === 'string') shown = rowsOf(region);
  for (const [id, row] of Object.entries(update.rows ?? {})) {
    const hash = /data-hash="([^"]+)"/.exec(row)?.[1] ?? '';
    shown = { ...shown, rows: shown.rows.map(([rowId, old]) => [rowId, rowId === id ? hash : old]) };
  }
}

function report(): void {
  if (!armed) return;
  const times = armed.times.filter((t): t is number => t !== undefined);
  send({ type: 'times', phase: armed.phase, times, missing: armed.times.length - times.length, ...(process.env.BENCH_DEBUG ? { trace } : {}) });
  armed = undefined;
}

function maybeDone(): void {
  if (armed && armed.times.every((t) => t !== undefined)) report();
}

/**
 * Reconnection exactly as public/js/status.js's keepConnected(): socket.io's own is off; after a drop a
 * first attempt at a random moment within the spread the server last hinted (with the first state, or
 * in a 'retry' message), then one every spread. Returns what takes a hint.
 */
function keepConnected(socket: Viewer): (hint: RetryHint | undefined) => void {
  let spread = 5000;
  let timer: NodeJS.Timeout | undefined;
  const attempt = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (socket.connected) return;
      if (armed) trace.attempts.push(now());
      socket.connect();
    }, ms);
  };
  const hint = (h: RetryHint | undefined) => {
    if (h && typeof h.spread === 'number' && h.spread >= 1000) spread = Math.min(h.spread, 60_000);
  };
  socket.on('retry', (h) => hint(h as RetryHint));
  socket.on('disconnect', (reason) => {
    if (reason !== 'io client disconnect') attempt(Math.random() * spread);
  });
  socket.on('connect_error', () => {
    if (armed) trace.errors.push(now());
    attempt(spread);
  });
  return hint;
}

/**
 * Viewers per source address. From one address to one port the kernel has about 28,000 ephemeral ports,
 * and past half of them each connect() searches the range (0.6 ms of system time each, measured here):
 * 20,000 viewers from 127.0.0.1 spent more CPU finding ports than the server spent taking them. Real
 * viewers come from many addresses; here from 127.<100 + process>.0.x, so many per address.
 */
const PER_ADDRESS = 100;

function open(url: string, index: number, from: string): Promise<boolean> {
  return new Promise((resolve) => {
    // As the page's script (v: 2: it patches component rows), on websockets: the page falls back to
    // long-polling only where websockets fail, which a server with WEB_CONCURRENCY refuses anyway.
    const socket: Viewer = new RawViewer(url, handshake, from);
    const hint = keepConnected(socket);
    viewers[index] = socket;
    const timer = setTimeout(() => resolve(false), 60_000);
    let first = true;
    socket.on('disconnect', () => {
      if (armed?.phase === 'restart') armed.away[index] = true;
    });
    socket.on('page', (data) => {
      const update = data as PageUpdate & { retry?: RetryHint };
      if (first) {
        first = false;
        clearTimeout(timer);
        resolve(true);
      }
      hint(update.retry);
      // What a page would keep: the newest hash of every region, and of every row.
      hashes = { ...hashes, ...update.hashes };
      follow(update);
      if (!armed || armed.times[index] !== undefined) return;
      // After a restart, "current" is the first state received once reconnected.
      if (armed.phase === 'restart' && !armed.away[index]) return;
      armed.times[index] = now();
      maybeDone();
    });
    socket.connect();
  });
}

process.on('message', (m: ToClient) => {
  if (m.type === 'start') {
    hashes = m.hashes;
    shown = { layout: m.layout, rows: m.rows ?? [] };
    void (async () => {
      const pending: Promise<boolean>[] = [];
      // A ramp: 50 viewers every 25 ms, as a crowd arriving, not one burst of SYNs.
      for (let i = 0; i < m.count; i++) {
        pending.push(open(m.url, i, `127.${100 + m.process}.${Math.floor(i / PER_ADDRESS / 250)}.${1 + (Math.floor(i / PER_ADDRESS) % 250)}`));
        if (i % 50 === 49) await new Promise((r) => setTimeout(r, 25));
      }
      const ok = await Promise.all(pending);
      send({ type: 'connected', count: ok.filter(Boolean).length, failed: ok.filter((x) => !x).length });
    })();
  } else if (m.type === 'arm') {
    armed = { phase: m.phase, times: viewers.map(() => undefined), away: viewers.map(() => false) };
    trace.attempts = [];
    trace.errors = [];
  } else if (m.type === 'report') {
    report();
  } else if (m.type === 'exit') {
    for (const v of viewers) v.close();
    setTimeout(() => process.exit(0), 100);
  }
});
// Reported even if the parent stops waiting: a bounded run.
setTimeout(() => process.exit(2), 10 * 60_000).unref();
