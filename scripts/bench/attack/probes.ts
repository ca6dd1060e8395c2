// bench:attack's measurements from the addresses that are not the attacker's: a viewer's GETs (a new
// connection each, as a new visitor opens one) and the operator's updates through the management API.
import { request } from 'node:http';
import { loadConfig } from '../../../server/config.js';
import { createContext } from '../../../server/compose.js';
import { createApiKey } from '../../../server/domain/access/api-keys.js';
import { createLog } from '../../../server/log.js';

export interface Samples {
  /** Latencies (ms) of the answers that came back 2xx. */
  times: number[];
  /** Answers that did not: refused, timed out, or not 2xx. */
  failed: number;
}

const TIMEOUT_MS = 10_000;

function once(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string; localAddress: string }): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { method: opts.method ?? 'GET', headers: opts.headers, localAddress: opts.localAddress, agent: false, timeout: TIMEOUT_MS },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end(opts.body);
  });
}

async function timed(fn: () => Promise<number>, into: Samples): Promise<void> {
  const started = performance.now();
  const status = await fn();
  if (status >= 200 && status < 300) into.times.push(performance.now() - started);
  else into.failed++;
}

/** A viewer (127.0.0.1) getting `url` as a browser does (brotli), one request after the other until `until`. */
export async function viewerLoop(url: string, until: number): Promise<Samples> {
  const out: Samples = { times: [], failed: 0 };
  while (Date.now() < until) {
    await timed(() => once(url, { headers: { 'Accept-Encoding': 'br, gzip' }, localAddress: '127.0.0.1' }), out);
    await new Promise((r) => setTimeout(r, 50));
  }
  return out;
}

/**
 * The operator (127.0.0.1): an update of the incident every 250 ms, each with its number as a marker
 * ("[u:N]") that the live viewers look for; `sentAt` records when each was sent (wall clock).
 */
export async function operatorLoop(url: string, apiKey: string, until: number, nextNumber: () => number, sentAt: Map<number, number>): Promise<Samples> {
  const out: Samples = { times: [], failed: 0 };
  while (Date.now() < until) {
    const n = nextNumber();
    const body = JSON.stringify({ incident: { status: n % 2 ? 'identified' : 'monitoring', body: `Mitigation in progress [u:${n}]` } });
    sentAt.set(n, performance.timeOrigin + performance.now());
    await timed(
      () =>
        once(url, {
          method: 'PATCH',
          headers: { Authorization: `OAuth ${apiKey}`, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) },
          body,
          localAddress: '127.0.0.1',
        }),
      out,
    );
    await new Promise((r) => setTimeout(r, 250));
  }
  return out;
}

/** A second API key on the seeded page: the attacker's, as if it had leaked. */
export function attackerKey(dataDir: string): string {
  const ctx = createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), { log: createLog('silent') });
  try {
    return createApiKey(ctx, { type: 'system' }, { name: 'leaked' }).key;
  } finally {
    ctx.db.close();
  }
}
