import { promisify } from 'node:util';
import { brotliDecompress, gunzip } from 'node:zlib';
import { z } from 'zod';
import { INDICATORS } from '../../domain/page/status.js';
import { bodyFromForms, compressedForms, tagOf, type Body } from '../../snapshot/body.js';
import { REGIONS, type LiveState, type Region } from '../../snapshot/snapshot.js';
import { refusal } from './allow-list.js';
import { sha256, type Signer } from './signing.js';

/**
 * How a public document and the live state travel through Redis: JSON, the bytes base64, every form
 * the primary compressed (so an edge compresses nothing), each naming the page it belongs to, each
 * document signed by the primary (signing.ts). An edge checks everything it reads when it applies it,
 * never on a GET: format, page, key and headers (allow-list.ts), the signature, the ETag against the
 * bytes, and that each compressed form decompresses to exactly those bytes. It keeps what it had when a
 * value does not pass: Redis is shared, and what is in it may be old, foreign, damaged or forged.
 */

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const base64 = z.string().regex(BASE64, 'not base64');
const TAG = /^[A-Za-z0-9_-]{27}$/;
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;
/** The largest document an edge takes (the largest the snapshot makes is far smaller): what bounds decompression too. */
export const MAX_DOC_BYTES = 32 * 1024 * 1024;
/** Three forms of at most that many bytes, in base64, and the rest of the JSON. */
const MAX_RAW = 4 * MAX_DOC_BYTES + 4096;

const docSchema = z
  .object({
    page: z.string(),
    sig: z.string().regex(SIGNATURE, 'not a signature'),
    tag: z.string().regex(TAG),
    type: z.string().min(1).max(200),
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string().max(1000)),
    identity: base64,
    br: base64.optional(),
    gzip: base64.optional(),
  })
  .strict();

const regions = <T extends z.ZodTypeAny>(value: T) => z.object(Object.fromEntries(REGIONS.map((r) => [r, value])) as Record<Region, T>).strict();

const liveSchema = z
  .object({
    page: z.string(),
    state: z
      .object({
        version: z.number().int().nonnegative(),
        title: z.string(),
        status: z.object({ indicator: z.enum(INDICATORS), description: z.string() }).strict(),
        html: regions(z.string()),
        hashes: regions(z.string().max(64)),
        rows: z.record(z.string()),
        layoutKey: z.string(),
      })
      .strict(),
  })
  .strict();

export class FormatError extends Error {}

/** A document as stored, and its signature: its compressed forms are made here, off the event loop. */
export async function encodeDoc(signer: Signer, pageId: string, key: string, body: Body): Promise<{ raw: string; sig: string }> {
  const forms = await compressedForms(body);
  const tag = body.etag.slice(1, -1);
  const sig = signer.doc(key, tag, body.type, body.headers, { br: forms.br ? sha256(forms.br) : '', gzip: forms.gzip ? sha256(forms.gzip) : '' });
  const raw = JSON.stringify({
    page: pageId,
    sig,
    tag,
    type: body.type,
    headers: body.headers,
    identity: body.bytes.toString('base64'),
    ...(forms.br ? { br: forms.br.toString('base64') } : {}),
    ...(forms.gzip ? { gzip: forms.gzip.toString('base64') } : {}),
  });
  return { raw, sig };
}

function parse(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new FormatError('not JSON');
  }
}

/** The signature a stored document claims (to skip decoding one that is already held), or undefined. */
export function claimedSignature(raw: string): string | undefined {
  return /"sig":"([A-Za-z0-9_-]{43})"/.exec(raw.slice(0, 200))?.[1];
}

const inflate = { br: promisify(brotliDecompress), gzip: promisify(gunzip) };

/** Whether a compressed form is exactly `identity` once decompressed (on the thread pool, never past its length). */
async function decompressesTo(encoding: 'br' | 'gzip', compressed: Buffer, identity: Buffer): Promise<boolean> {
  try {
    // One output chunk of the expected size: nothing to join, and never more than the identity's length.
    const size = Math.max(64, identity.length);
    const out = await inflate[encoding](compressed, { maxOutputLength: size, chunkSize: size });
    return out.equals(identity);
  } catch {
    // Larger than the identity (a bomb stops here), or not that encoding at all.
    return false;
  }
}

/**
 * A stored document at `key` as a Body and its signature; rejects with FormatError for anything
 * malformed, foreign, not allowed, not signed by a primary of this page, or whose forms differ.
 */
export async function decodeDoc(signer: Signer, pageId: string, key: string, raw: string): Promise<{ body: Body; sig: string }> {
  if (raw.length > MAX_RAW) throw new FormatError(`larger than ${MAX_DOC_BYTES} bytes`);
  const result = docSchema.safeParse(parse(raw));
  if (!result.success) throw new FormatError(result.error.issues.map((i) => `${i.path.join('.') || 'document'}: ${i.message}`).join('; '));
  const doc = result.data;
  if (doc.page !== pageId) throw new FormatError(`belongs to page ${doc.page.slice(0, 40)}`);
  const refused = refusal(key, doc.type, doc.headers);
  if (refused) throw new FormatError(refused);
  const bytes = Buffer.from(doc.identity, 'base64');
  if (bytes.length > MAX_DOC_BYTES) throw new FormatError(`larger than ${MAX_DOC_BYTES} bytes`);
  const br = doc.br === undefined ? undefined : Buffer.from(doc.br, 'base64');
  const gzip = doc.gzip === undefined ? undefined : Buffer.from(doc.gzip, 'base64');
  const digests = { br: br ? sha256(br) : '', gzip: gzip ? sha256(gzip) : '' };
  if (tagOf(bytes) !== doc.tag) throw new FormatError('its bytes do not match its ETag');
  if (!signer.verifyDoc(doc.sig, key, doc.tag, doc.type, doc.headers, digests))
    throw new FormatError('not signed by a primary of this page (REPLICATION_SECRET)');
  const [brOk, gzipOk] = await Promise.all([!br || decompressesTo('br', br, bytes), !gzip || decompressesTo('gzip', gzip, bytes)]);
  if (!brOk || !gzipOk) throw new FormatError(`its ${brOk ? 'gzip' : 'br'} form is not its bytes compressed`);
  return { body: bodyFromForms(bytes, doc.tag, doc.type, doc.headers, { ...(br ? { br } : {}), ...(gzip ? { gzip } : {}) }), sig: doc.sig };
}

export function encodeLive(pageId: string, live: LiveState): string {
  return JSON.stringify({ page: pageId, state: live });
}

export function decodeLive(pageId: string, raw: string): LiveState {
  if (raw.length > MAX_RAW) throw new FormatError(`larger than ${MAX_DOC_BYTES} bytes`);
  const result = liveSchema.safeParse(parse(raw));
  if (!result.success) throw new FormatError(result.error.issues.map((i) => `${i.path.join('.') || 'live'}: ${i.message}`).join('; '));
  if (result.data.page !== pageId) throw new FormatError(`belongs to page ${result.data.page.slice(0, 40)}`);
  return result.data.state;
}
