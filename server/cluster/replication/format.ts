import { z } from 'zod';
import { INDICATORS } from '../../domain/page/status.js';
import { bodyFromForms, compressedForms, tagOf, type Body } from '../../snapshot/body.js';
import { REGIONS, type LiveState, type Region } from '../../snapshot/snapshot.js';

/**
 * How a public document and the live state travel through Redis: JSON, the bytes base64, every form
 * the primary compressed (so an edge compresses nothing), each naming the page it belongs to. An edge
 * checks everything it reads (format, page, the ETag against the bytes) and keeps what it had when a
 * value does not pass: Redis is shared, and what is in it may be old, foreign or damaged.
 */

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const base64 = z.string().regex(BASE64, 'not base64');
const TAG = /^[A-Za-z0-9_-]{27}$/;

const docSchema = z
  .object({
    page: z.string(),
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

/** A document as stored: its compressed forms are made here, off the event loop. */
export async function encodeDoc(pageId: string, body: Body): Promise<string> {
  const forms = await compressedForms(body);
  return JSON.stringify({
    page: pageId,
    tag: body.etag.slice(1, -1),
    type: body.type,
    headers: body.headers,
    identity: body.bytes.toString('base64'),
    ...(forms.br ? { br: forms.br.toString('base64') } : {}),
    ...(forms.gzip ? { gzip: forms.gzip.toString('base64') } : {}),
  });
}

function parse(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new FormatError('not JSON');
  }
}

/** The tag a stored document claims (to skip decoding one that is already held), or undefined. */
export function claimedTag(raw: string): string | undefined {
  const m = /"tag":"([A-Za-z0-9_-]{27})"/.exec(raw.slice(0, 200));
  return m?.[1];
}

/** A stored document as a Body; throws FormatError for anything malformed, foreign or not matching its tag. */
export function decodeDoc(pageId: string, raw: string): Body {
  const result = docSchema.safeParse(parse(raw));
  if (!result.success) throw new FormatError(result.error.issues.map((i) => `${i.path.join('.') || 'document'}: ${i.message}`).join('; '));
  const doc = result.data;
  if (doc.page !== pageId) throw new FormatError(`belongs to page ${doc.page.slice(0, 40)}`);
  const bytes = Buffer.from(doc.identity, 'base64');
  if (tagOf(bytes) !== doc.tag) throw new FormatError('its bytes do not match its ETag');
  return bodyFromForms(bytes, doc.tag, doc.type, doc.headers, {
    ...(doc.br ? { br: Buffer.from(doc.br, 'base64') } : {}),
    ...(doc.gzip ? { gzip: Buffer.from(doc.gzip, 'base64') } : {}),
  });
}

export function encodeLive(pageId: string, live: LiveState): string {
  return JSON.stringify({ page: pageId, state: live });
}

export function decodeLive(pageId: string, raw: string): LiveState {
  const result = liveSchema.safeParse(parse(raw));
  if (!result.success) throw new FormatError(result.error.issues.map((i) => `${i.path.join('.') || 'live'}: ${i.message}`).join('; '));
  if (result.data.page !== pageId) throw new FormatError(`belongs to page ${result.data.page.slice(0, 40)}`);
  return result.data.state;
}
