import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: unknown;
}

/** How the receiver answers the n-th request (1-based): a status, a hang, or a redirect. */
export type Answer = { status: number; location?: string; body?: string } | 'hang';

/**
 * A real HTTP receiver on a loopback port, for webhooks and chat channels: it records every request
 * (headers, raw body, parsed JSON) and answers as `answer` says.
 */
export class Receiver {
  readonly received: Received[] = [];
  answer: (n: number, r: Received) => Answer = () => ({ status: 200 });
  /** How long each answer takes (a slow receiver: deliveries stay in flight). */
  delayMs = 0;
  private server: Server | undefined;
  private readonly hanging = new Set<ServerResponse>();
  private waiters: { test: () => boolean; resolve: () => void }[] = [];
  port = 0;

  async start(host = '127.0.0.1'): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(raw);
        } catch {
          body = undefined;
        }
        const r = { path: req.url ?? '/', headers: req.headers, raw, body };
        this.received.push(r);
        const a = this.answer(this.received.length, r);
        for (const w of [...this.waiters]) {
          if (!w.test()) continue;
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve();
        }
        if (a === 'hang') {
          this.hanging.add(res);
          return;
        }
        const answer = () => res.writeHead(a.status, a.location ? { Location: a.location } : {}).end(a.body ?? 'ok');
        if (this.delayMs) setTimeout(answer, this.delayMs);
        else answer();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, host, () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  until(test: () => boolean, ms = 10_000): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`receiver: condition not met within ${ms} ms (${this.received.length} received)`)), ms);
      this.waiters.push({ test, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Verifies X-Pharos-Signature as a receiver would (the README's snippet): t=…,v1=HMAC-SHA256("t.body"), within 5 minutes. */
export function verifySignature(secret: string, header: string | string[] | undefined, raw: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  const value = Array.isArray(header) ? header[0] : header;
  const parts = Object.fromEntries((value ?? '').split(',').map((p) => p.split('=') as [string, string]));
  const t = Number(parts.t);
  if (!parts.v1 || !Number.isFinite(t) || Math.abs(nowSeconds - t) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${raw}`).digest('hex');
  return expected.length === parts.v1.length && timingSafeEqual(Buffer.from(expected), Buffer.from(parts.v1));
}
