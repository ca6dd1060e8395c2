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
  | ({ type: 'start'; url: string; count: number; hashes: Record<string, string> } & Partial<RowsShown>)
  | { type: 'arm'; phase: 'update' | 'restart' }
  /** Report now, with whoever has not received yet counted as missing. */
  | { type: 'report' }
  | { type: 'exit' };
export type FromClient =
  { type: 'connected'; count: number; failed: number } | { type: 'times'; phase: 'update' | 'restart'; times: number[]; missing: number };

const now = () => performance.timeOrigin + performance.now();
const send = (m: FromClient) => process.send?.(m);

const viewers: Viewer[] = [];
let armed: { phase: 'update' | 'restart'; times: (number | undefined)[]; away: boolean[] } | undefined;
let hashes: Record<string, string> = {};
/** The component rows the page shows (one page per client process: its viewers all get the same updates). */
let shown: RowsShown = { rows: [] };

/** What public/js/status.js's handshake sends: region hashes, and the rows' layout and 8 characters of each row's hash. */
function handshake(): Record<string, unknown> {
  const rows = shown.rows.map(([, hash]) => hash.slice(0, 8)).join('');
  return { v: 2, hashes, ...(shown.layout && rows.length <= 3000 ? { layout: shown.layout, rows } : {}) };
}

/** Keeps the rows as the page would after an update: a whole components region, or rows patched in. */
function follow(update: { html: Record<string, string | undefined>; rows?: Record<string, string> }): void {
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
  send({ type: 'times', phase: armed.phase, times, missing: armed.times.length - times.length });
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
      if (!socket.connected) socket.connect();
    }, ms);
  };
  const hint = (h: RetryHint | undefined) => {
    if (h && typeof h.spread === 'number' && h.spread >= 1000) spread = Math.min(h.spread, 60_000);
  };
  socket.on('retry', (h) => hint(h as RetryHint));
  socket.on('disconnect', (reason) => {
    if (reason !== 'io client disconnect') attempt(Math.random() * spread);
  });
  socket.on('connect_error', () => attempt(spread));
  return hint;
}

function open(url: string, index: number): Promise<boolean> {
  return new Promise((resolve) => {
    // As the page's script (v: 2: it patches component rows), on websockets: the page falls back to
    // long-polling only where websockets fail, which a server with WEB_CONCURRENCY refuses anyway.
    const socket: Viewer = new RawViewer(url, handshake);
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
        pending.push(open(m.url, i));
        if (i % 50 === 49) await new Promise((r) => setTimeout(r, 25));
      }
      const ok = await Promise.all(pending);
      send({ type: 'connected', count: ok.filter(Boolean).length, failed: ok.filter((x) => !x).length });
    })();
  } else if (m.type === 'arm') {
    armed = { phase: m.phase, times: viewers.map(() => undefined), away: viewers.map(() => false) };
  } else if (m.type === 'report') {
    report();
  } else if (m.type === 'exit') {
    for (const v of viewers) v.close();
    setTimeout(() => process.exit(0), 100);
  }
});
// Reported even if the parent stops waiting: a bounded run.
setTimeout(() => process.exit(2), 10 * 60_000).unref();
