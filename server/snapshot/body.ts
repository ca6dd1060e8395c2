import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { brotliCompress, brotliCompressSync, constants, gzip, gzipSync } from 'node:zlib';

export type Encoding = 'br' | 'gzip' | 'identity';

/** One prebuilt response body, and its gzip and brotli forms, each compressed once, on first request. */
export interface Body {
  bytes: Buffer;
  /** The identity form's strong ETag; the compressed forms' tags carry a suffix ("…-br", "…-gz"). */
  etag: string;
  type: string;
  /** Headers of its own (a calendar file's Content-Disposition). */
  headers: Record<string, string>;
  /** The bytes in an encoding (identity when compressing does not make them smaller). */
  encoded(encoding: Encoding): { bytes: Buffer; encoding: Encoding; etag: string };
}

/**
 * Browsers revalidate every time (a 304 is cheap, and live viewers get changes over socket.io), and may
 * show the last page if Pharos fails; a CDN in front (CDN-Cache-Control, RFC 9213, and Surrogate-Control
 * for Fastly and Varnish) may answer for 5 s, keep answering while it refetches, and for a day if Pharos
 * fails. stale-while-revalidate stays out of Cache-Control: browsers honour it too, and would show a
 * page up to 30 s old.
 */
export const SNAPSHOT_CACHE_HEADERS = {
  'Cache-Control': 'public, no-cache, stale-if-error=86400',
  'CDN-Cache-Control': 'public, max-age=5, stale-while-revalidate=30, stale-if-error=86400',
  'Surrogate-Control': 'max-age=5, stale-while-revalidate=30, stale-if-error=86400',
} as const;

// Brotli 6 and gzip 9: a few milliseconds for the seeded page, within 10 % of brotli's best size.
const BROTLI = { params: { [constants.BROTLI_PARAM_QUALITY]: 6 } };
const compressors = {
  br: (b: Buffer) => brotliCompressSync(b, { params: { ...BROTLI.params, [constants.BROTLI_PARAM_SIZE_HINT]: b.length } }),
  gzip: (b: Buffer) => gzipSync(b, { level: 9 }),
} as const;
const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);
const SUFFIX = { br: '-br', gzip: '-gz' } as const;

/** The compressed forms of a body that are smaller than it (a missing one is sent as identity). */
export interface CompressedForms {
  br?: Buffer;
  gzip?: Buffer;
}

function assemble(bytes: Buffer, tag: string, type: string, headers: Record<string, string>, known?: CompressedForms): Body {
  const etag = `"${tag}"`;
  const identity = { bytes, encoding: 'identity' as const, etag };
  const memo = new Map<Encoding, { bytes: Buffer; encoding: Encoding; etag: string }>([['identity', identity]]);
  const form = (encoding: 'br' | 'gzip', compressed: Buffer | undefined) =>
    compressed && compressed.length < bytes.length ? { bytes: compressed, encoding, etag: `"${tag}${SUFFIX[encoding]}"` } : identity;
  if (known) for (const encoding of ['br', 'gzip'] as const) memo.set(encoding, form(encoding, known[encoding]));
  return {
    bytes,
    etag,
    type,
    headers,
    encoded(encoding) {
      let found = memo.get(encoding);
      if (!found) {
        found = encoding === 'identity' ? identity : form(encoding, compressors[encoding](bytes));
        memo.set(encoding, found);
      }
      return found;
    },
  };
}

/** The strong ETag's value of these bytes (without quotes). */
export function tagOf(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('base64url').slice(0, 27);
}

export function makeBody(content: string | Buffer, type: string, headers: Record<string, string> = {}): Body {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  return assemble(bytes, tagOf(bytes), type, headers);
}

/**
 * A body whose compressed forms were made elsewhere (an edge, from what the primary replicated): `tag`
 * is checked against the bytes by the caller. Forms not given are sent as identity.
 */
export function bodyFromForms(bytes: Buffer, tag: string, type: string, headers: Record<string, string>, forms: CompressedForms): Body {
  return assemble(bytes, tag, type, headers, forms);
}

/** Both compressed forms of a body, made on libuv's thread pool: the primary's event loop keeps serving. */
export async function compressedForms(body: Body): Promise<CompressedForms> {
  const [br, gz] = await Promise.all([
    brotliAsync(body.bytes, { params: { ...BROTLI.params, [constants.BROTLI_PARAM_SIZE_HINT]: body.bytes.length } }),
    gzipAsync(body.bytes, { level: 9 }),
  ]);
  return { ...(br.length < body.bytes.length ? { br } : {}), ...(gz.length < body.bytes.length ? { gzip: gz } : {}) };
}

/** The encoding the client prefers by q-value among brotli and gzip (brotli on a tie), honouring q=0 and "*". */
export function chooseEncoding(header: string | string[] | undefined): Encoding {
  if (!header) return 'identity';
  const q = new Map<string, number>();
  for (const part of String(header).toLowerCase().split(',')) {
    const [name = '', ...params] = part.trim().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qParam ? Number(qParam.slice(2)) : 1;
    q.set(name.trim(), Number.isFinite(value) ? value : 0);
  }
  const br = q.get('br') ?? q.get('*') ?? 0;
  const gzip = q.get('gzip') ?? q.get('x-gzip') ?? q.get('*') ?? 0;
  if (br > 0 && br >= gzip) return 'br';
  if (gzip > 0) return 'gzip';
  return 'identity';
}

/** Whether If-None-Match names the form being sent (each encoding is its own representation, RFC 9110). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((raw) => {
    const t = raw.trim().replace(/^W\//, '');
    return t === '*' || t === etag;
  });
}

const withoutFrameOptions = (headers: Record<string, string | number>) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'x-frame-options'));

/**
 * Answers GET or HEAD with a prebuilt body: the best encoding the client takes, its ETag, a 304 when
 * the client has it already. `headers` are sent as well (the fast path passes helmet's; Express has set them).
 * `status` 404: a not-found document, never answered with a 304 (which would say the document exists).
 */
export function writeBody(req: IncomingMessage, res: ServerResponse, body: Body, headers: Record<string, string | number> = {}, status: 200 | 404 = 200): void {
  const form = body.encoded(chooseEncoding(req.headers['accept-encoding']));
  // A body with its own Content-Security-Policy (the embed's frame) says itself, with frame-ancestors,
  // who may frame it: X-Frame-Options, which would forbid it everywhere, is not sent with it.
  const ownFraming = 'Content-Security-Policy' in body.headers;
  if (ownFraming) res.removeHeader('X-Frame-Options');
  const out: Record<string, string | number> = {
    ...(ownFraming ? withoutFrameOptions(headers) : headers),
    ...body.headers,
    'Content-Type': body.type,
    ...SNAPSHOT_CACHE_HEADERS,
    Vary: 'Accept-Encoding',
    ETag: form.etag,
  };
  if (status === 200 && matches(req.headers['if-none-match'], form.etag)) {
    res.writeHead(304, out);
    res.end();
    return;
  }
  if (form.encoding !== 'identity') out['Content-Encoding'] = form.encoding;
  out['Content-Length'] = form.bytes.length;
  res.writeHead(status, out);
  res.end(req.method === 'HEAD' ? undefined : form.bytes);
}
