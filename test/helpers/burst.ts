import { request as httpRequest } from 'node:http';

export interface BurstAnswer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface BurstRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Another loopback address (127.0.0.2...) stands for another client. */
  localAddress?: string;
}

/** One request on a connection of its own (node:cluster hands connections to the workers in turn). */
export function send(base: string, r: BurstRequest): Promise<BurstAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      new URL(r.path, base),
      { method: r.method ?? 'GET', agent: false, headers: { Connection: 'close', ...r.headers }, ...(r.localAddress ? { localAddress: r.localAddress } : {}) },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.setTimeout(60_000, () => req.destroy(new Error(`no answer to ${r.method ?? 'GET'} ${r.path} within 60 s`)));
    req.on('error', reject);
    req.end(r.body);
  });
}

/**
 * `n` requests sent at once, each on its own connection, as an attacker's burst arrives (the server
 * sees them together, not one after the other's answer). Resolves with every answer, in the order sent.
 */
export function burst(base: string, n: number, make: (i: number) => BurstRequest): Promise<BurstAnswer[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => send(base, make(i))));
}

/** How many answers had each status: { 404: 30, 429: 270 }. */
export function statuses(answers: BurstAnswer[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const a of answers) counts[a.status] = (counts[a.status] ?? 0) + 1;
  return counts;
}
