import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * What a primary signs with REPLICATION_SECRET, and its edges check, so that write access to Redis alone
 * cannot put words on the page (HMAC-SHA256, node:crypto):
 * - each document: its page, key, ETag, type, headers and the digest of each compressed form (format.ts);
 * - each state (the hash, and the result of each stream entry): its page, the primary's run (epoch), the
 *   publication's number in that run (seq), the version, the digest of the live state, and the digest of
 *   the whole set of documents, so that no document can be dropped, added, or taken from another version.
 * The set's digest is the XOR of one member value per document, HMAC("member", the document's own
 * signature): a publication updates it by the documents it changes, whatever the number of documents.
 * The digest and the member values are never written anywhere: only the state's signature is, so someone
 * reading Redis learns nothing that would let them assemble another set with the same digest.
 */

const DIGEST_BYTES = 32;

export class Signer {
  constructor(
    private readonly secret: string,
    private readonly pageId: string,
  ) {}

  /** One HMAC per purpose; the parts are JSON-encoded so that no two lists of parts sign alike. */
  private mac(purpose: string, parts: string[]): Buffer {
    return createHmac('sha256', this.secret)
      .update(JSON.stringify(['pharos-replication-1', purpose, this.pageId, ...parts]))
      .digest();
  }

  /** A document's signature (base64url). `forms` are the compressed forms' digests, '' for one not sent. */
  doc(key: string, tag: string, type: string, headers: Record<string, string>, forms: { br: string; gzip: string }): string {
    const canonical = JSON.stringify(Object.entries(headers).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return this.mac('doc', [key, tag, type, canonical, forms.br, forms.gzip]).toString('base64url');
  }

  /** A document's share of its set's digest. */
  member(docSignature: string): Buffer {
    return this.mac('member', [docSignature]);
  }

  /** A whole state's signature (base64url). */
  state(s: SignedState): string {
    return this.mac('state', [s.epoch, String(s.seq), String(s.version), s.digest.toString('hex'), s.liveDigest]).toString('base64url');
  }

  verifyDoc(signature: string, ...args: Parameters<Signer['doc']>): boolean {
    return same(signature, this.doc(...args));
  }

  verifyState(signature: string, s: SignedState): boolean {
    return same(signature, this.state(s));
  }
}

export interface SignedState {
  epoch: string;
  seq: number;
  version: number;
  /** The XOR of the members of every document of the state. */
  digest: Buffer;
  /** sha256 of the live state as published. */
  liveDigest: string;
}

function same(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export const emptyDigest = (): Buffer => Buffer.alloc(DIGEST_BYTES);

/** Adds `member` to `digest`, or takes it out (XOR is its own inverse), in place. */
export function xorInPlace(digest: Buffer, member: Buffer | undefined): void {
  if (member) for (let i = 0; i < DIGEST_BYTES; i++) digest[i] = (digest[i] ?? 0) ^ (member[i] ?? 0);
}

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('base64url');

/**
 * A primary run's name: when it started (ms, base 36) and a random part. Signed with every state, so
 * that an edge can tell a later run (a restart, a restored backup) from an earlier one replayed.
 */
export function newEpoch(now = Date.now()): string {
  return `${now.toString(36)}.${randomBytes(6).toString('base64url')}`;
}

/** When a run started, from its epoch; undefined for one that is not ours. */
export function epochStart(epoch: string): number | undefined {
  const m = /^([0-9a-z]{1,11})\.[A-Za-z0-9_-]{8}$/.exec(epoch);
  if (!m) return undefined;
  const start = parseInt(m[1] ?? '', 36);
  return Number.isSafeInteger(start) ? start : undefined;
}
