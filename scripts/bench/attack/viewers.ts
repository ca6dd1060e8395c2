// bench:attack's live viewers: `count` socket.io viewers of the status page in this process, spread over
// local addresses (127.0.1.x: none is an attacker's), reconnecting as the page's script does. Each records
// when it first received each operator update, recognised by its marker "[u:N]" in the page's regions.
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../server/realtime/types.js';

type Viewer = Socket<ServerToClientEvents, ClientToServerEvents>;
export type ToViewers = { type: 'start'; url: string; count: number; addresses: string[] } | { type: 'report' } | { type: 'exit' };
export type FromViewers =
  | { type: 'connected'; count: number; failed: number }
  /** Per update number: when each viewer that has it first received it (wall clock, ms); `connected`: viewers connected now. */
  | { type: 'receipts'; receipts: Record<string, number[]>; connected: number; refusals: number };

const now = () => performance.timeOrigin + performance.now();
const send = (m: FromViewers) => process.send?.(m);
const MARKER = /\[u:(\d+)\]/g;

const viewers: Viewer[] = [];
/** Update number → receipt times, one per viewer (each viewer's first receipt only). */
let receipts = new Map<number, number[]>();
let refusals = 0;

function open(url: string, localAddress: string): Promise<boolean> {
  return new Promise((resolve) => {
    const seen = new Set<number>();
    let hashes: Record<string, string> = {};
    // v: 2 and the region hashes, as the page's script sends them on every (re)connection. localAddress reaches
    // the websocket (engine.io-client passes it on to ws), though socket.io-client's types do not list it.
    const socket: Viewer = io(url, { transports: ['websocket'], forceNew: true, localAddress, auth: (cb) => cb({ v: 2, hashes }) } as Parameters<typeof io>[1]);
    viewers.push(socket);
    const timer = setTimeout(() => resolve(false), 60_000);
    socket.on('connect_error', () => refusals++);
    socket.on('page', (update) => {
      clearTimeout(timer);
      resolve(true);
      hashes = { ...hashes, ...update.hashes };
      const at = now();
      for (const html of Object.values(update.html ?? {})) {
        if (typeof html !== 'string') continue;
        for (const m of html.matchAll(MARKER)) {
          const n = Number(m[1]);
          if (seen.has(n)) continue;
          seen.add(n);
          let list = receipts.get(n);
          if (!list) receipts.set(n, (list = []));
          list.push(at);
        }
      }
    });
  });
}

process.on('message', (m: ToViewers) => {
  if (m.type === 'start') {
    void (async () => {
      const pending: Promise<boolean>[] = [];
      for (let i = 0; i < m.count; i++) {
        pending.push(open(m.url, m.addresses[i % m.addresses.length] ?? '127.0.0.1'));
        if (i % 50 === 49) await new Promise((r) => setTimeout(r, 25));
      }
      const ok = await Promise.all(pending);
      send({ type: 'connected', count: ok.filter(Boolean).length, failed: ok.filter((x) => !x).length });
    })();
  } else if (m.type === 'report') {
    const out: Record<string, number[]> = {};
    for (const [n, times] of receipts) out[String(n)] = times;
    receipts = new Map();
    send({ type: 'receipts', receipts: out, connected: viewers.filter((v) => v.connected).length, refusals });
    refusals = 0;
  } else if (m.type === 'exit') {
    for (const v of viewers) v.close();
    setTimeout(() => process.exit(0), 100);
  }
});
// A bounded run: gone even if the parent stops waiting.
setTimeout(() => process.exit(2), 30 * 60_000).unref();
