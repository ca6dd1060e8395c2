import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { guardedLookup, resolvePublic, type ResolveOptions } from '../../lib/public-address.js';

export interface PostResult {
  status: number;
  /** The first 2 KB of the answer, for the delivery log. */
  text: string;
}

const TIMEOUT_MS = 10_000;
const KEEP = 2048;

/**
 * POSTs a body to a webhook or chat endpoint: a 10 s timeout for the whole exchange, no redirect
 * followed (a 3xx is an answer like any other, and a failure), and a connection only to a public
 * address unless `allowPrivate` (the name is resolved and checked at every delivery, and the socket
 * goes to the address checked). Rejects when no answer came (refused, timed out, private address).
 */
export async function post(url: string, body: string, headers: Record<string, string>, opts: ResolveOptions & { timeoutMs?: number }): Promise<PostResult> {
  const target = new URL(url);
  // A literal address is never looked up by Node: check it here (a name is checked by the lookup below).
  if (isIP(target.hostname.replace(/^\[|\]$/g, ''))) await resolvePublic(target.hostname, opts);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'User-Agent': 'Pharos-Webhook/1', ...headers },
        lookup: guardedLookup(opts),
        timeout: opts.timeoutMs ?? TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < KEEP) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8').slice(0, KEEP) }));
        res.on('error', reject);
      },
    );
    // The whole exchange, not only the idle time between bytes: a receiver trickling its answer is cut too.
    const timer = setTimeout(() => req.destroy(new Error(`No answer within ${(opts.timeoutMs ?? TIMEOUT_MS) / 1000} s`)), opts.timeoutMs ?? TIMEOUT_MS);
    req.on('timeout', () => req.destroy(new Error(`No answer within ${(opts.timeoutMs ?? TIMEOUT_MS) / 1000} s`)));
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
    req.end(body);
  });
}
