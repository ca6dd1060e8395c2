import type { Body } from '../../snapshot/body.js';
import type { LiveState } from '../../snapshot/snapshot.js';
import { claimedSignature, decodeDoc, decodeLive } from './format.js';
import { DOC_FIELD } from './keys.js';
import { emptyDigest, epochStart, sha256, xorInPlace, type Signer } from './signing.js';

/** A document an edge holds: what it serves, its signature, and its share of the set's digest. */
export interface HeldDoc {
  body: Body;
  sig: string;
  member: Buffer;
}

/** A state a primary of the page signed, as an edge holds it: what it serves, and what checks the next. */
export interface VerifiedState {
  /** The primary run that published it (a restart or a restored backup starts a new one). */
  epoch: string;
  /** The publication's number in that run: a state is replaced only by a later one. */
  seq: number;
  version: number;
  bodies: Map<string, Body>;
  live: LiveState;
  docs: Map<string, HeldDoc>;
  digest: Buffer;
  liveDigest: string;
}

/** The fields of the page's hash and of a stream entry that are not documents. */
const HASH_FIELDS: ReadonlySet<string> = new Set(['version', 'epoch', 'seq', 'sig', 'live']);
const ENTRY_FIELDS: ReadonlySet<string> = new Set(['base', 'kind', 'version', 'epoch', 'seq', 'sig', 'removed', 'live']);

export type Reject = (what: string, reason: string) => void;

/** Where a signed (epoch, seq) stands against the state held. */
export function order(held: Pick<VerifiedState, 'epoch' | 'seq'> | undefined, epoch: string, seq: number): 'newer' | 'same' | 'older' | 'earlier run' {
  if (!held) return 'newer';
  if (epoch === held.epoch) return seq > held.seq ? 'newer' : seq === held.seq ? 'same' : 'older';
  // Another run: taken only if it started later (a restart, a restored backup), never an earlier one replayed.
  const [start, heldStart] = [epochStart(epoch), epochStart(held.epoch)];
  return start !== undefined && heldStart !== undefined && start > heldStart ? 'newer' : 'earlier run';
}

const whole = (raw: string | undefined): number | undefined => {
  const n = Number(raw);
  return raw !== undefined && /^\d{1,15}$/.test(raw) && Number.isSafeInteger(n) ? n : undefined;
};

/** What a publication claims to be: its run, number, version and signature; undefined when one is missing. */
export function claimed(fields: { get(name: string): string | undefined }): { epoch: string; seq: number; version: number; sig: string } | undefined {
  const [epoch, sig, seq, version] = [fields.get('epoch'), fields.get('sig'), whole(fields.get('seq')), whole(fields.get('version'))];
  if (!epoch || !sig || seq === undefined || version === undefined) return undefined;
  return { epoch, seq, version, sig };
}

/**
 * Turns what an edge reads from Redis into states a primary of the page signed, or nothing: each
 * document checked (format.ts), then the whole result against the state's signature, so that a state is
 * taken whole or not at all. Everything is checked here, when a state is applied; a GET only reads.
 */
export class Verifier {
  constructor(
    private readonly signer: Signer,
    private readonly pageId: string,
    private readonly reject: Reject,
  ) {}

  /** The page's hash as a state; undefined (and logged) when it is not one a primary signed. */
  async fromHash(hash: Record<string, string>, held: VerifiedState | undefined): Promise<VerifiedState | undefined> {
    const claim = claimed({ get: (name) => hash[name] });
    if (!claim) return this.refuse('state', 'no signed state (version, run, number, signature)');
    // The state's signature checked first, against the signatures the documents claim: what was not
    // signed as a whole is refused before a byte of it is parsed or decompressed.
    const claimedDigest = emptyDigest();
    for (const [field, raw] of Object.entries(hash)) if (field.startsWith(DOC_FIELD)) xorInPlace(claimedDigest, this.claimedMember(raw));
    if (hash.live === undefined || !this.signer.verifyState(claim.sig, { ...claim, digest: claimedDigest, liveDigest: sha256(hash.live) }))
      return this.refuse('state', 'not a state a primary of this page signed (REPLICATION_SECRET), or documents missing, added or mixed');
    const docs = new Map<string, HeldDoc>();
    const checks: Promise<void>[] = [];
    for (const [field, raw] of Object.entries(hash)) {
      if (HASH_FIELDS.has(field)) continue;
      const key = this.keyOf(field);
      if (key === undefined) continue;
      checks.push(this.doc(key, raw, held?.docs.get(key)).then((doc) => void (doc && docs.set(key, doc))));
    }
    await Promise.all(checks);
    const digest = emptyDigest();
    for (const doc of docs.values()) xorInPlace(digest, doc.member);
    const live = this.live(hash.live, held);
    if (!live) return undefined;
    return this.signed(claim, docs, digest, live);
  }

  /** A delta entry applied to `held` (which it follows); undefined (and logged) when the result is not signed. */
  async applyEntry(fields: Map<string, string>, held: VerifiedState): Promise<VerifiedState | undefined> {
    const claim = claimed(fields);
    if (!claim) return this.refuse('entry', 'no signed state (version, run, number, signature)');
    const docs = new Map(held.docs);
    const digest = Buffer.from(held.digest);
    let removed: unknown;
    try {
      removed = JSON.parse(fields.get('removed') ?? '[]');
    } catch {
      removed = [];
    }
    for (const field of Array.isArray(removed) ? (removed as unknown[]) : []) {
      const key = typeof field === 'string' ? this.keyOf(field) : undefined;
      if (key === undefined) continue;
      xorInPlace(digest, docs.get(key)?.member);
      docs.delete(key);
    }
    // As for a hash: the entry's signature first, against what its documents claim.
    const claimedDigest = Buffer.from(digest);
    for (const [field, raw] of fields) {
      if (!field.startsWith(DOC_FIELD)) continue;
      xorInPlace(claimedDigest, docs.get(field.slice(DOC_FIELD.length))?.member);
      xorInPlace(claimedDigest, this.claimedMember(raw));
    }
    const liveRaw = fields.get('live');
    if (!this.signer.verifyState(claim.sig, { ...claim, digest: claimedDigest, liveDigest: liveRaw === undefined ? held.liveDigest : sha256(liveRaw) }))
      return this.refuse('entry', 'not a publication a primary of this page signed (REPLICATION_SECRET)');
    const changes: Promise<[string, HeldDoc | undefined]>[] = [];
    for (const [field, raw] of fields) {
      if (ENTRY_FIELDS.has(field)) continue;
      const key = this.keyOf(field);
      if (key !== undefined) changes.push(this.doc(key, raw, held.docs.get(key)).then((doc) => [key, doc]));
    }
    for (const [key, doc] of await Promise.all(changes)) {
      if (!doc) continue;
      xorInPlace(digest, docs.get(key)?.member);
      xorInPlace(digest, doc.member);
      docs.set(key, doc);
    }
    const live = fields.has('live') ? this.live(fields.get('live'), held) : { live: held.live, liveDigest: held.liveDigest };
    if (!live) return undefined;
    return this.signed(claim, docs, digest, live);
  }

  private signed(
    claim: NonNullable<ReturnType<typeof claimed>>,
    docs: Map<string, HeldDoc>,
    digest: Buffer,
    live: { live: LiveState; liveDigest: string },
  ): VerifiedState | undefined {
    const { epoch, seq, version, sig } = claim;
    if (!this.signer.verifyState(sig, { epoch, seq, version, digest, liveDigest: live.liveDigest }))
      return this.refuse('state', 'not a state a primary of this page signed (REPLICATION_SECRET), or documents missing, added or mixed');
    const bodies = new Map([...docs].map(([key, doc]) => [key, doc.body]));
    return { epoch, seq, version, bodies, docs, digest, ...live };
  }

  /** The share of the set's digest a stored document claims (its signature read without parsing it); none if it claims none. */
  private claimedMember(raw: string): Buffer | undefined {
    const sig = claimedSignature(raw);
    return sig === undefined ? undefined : this.signer.member(sig);
  }

  /** A document's key from its field; other fields are logged and ignored. */
  private keyOf(field: string): string | undefined {
    if (field.startsWith(DOC_FIELD)) return field.slice(DOC_FIELD.length);
    this.reject(field, 'not a field of a publication');
    return undefined;
  }

  /** A document checked; the one held at its key when it does not pass (the state's signature decides). */
  private async doc(key: string, raw: string, held: HeldDoc | undefined): Promise<HeldDoc | undefined> {
    if (held && claimedSignature(raw) === held.sig) return held;
    try {
      const { body, sig } = await decodeDoc(this.signer, this.pageId, key, raw);
      return { body, sig, member: this.signer.member(sig) };
    } catch (err) {
      this.reject(key, err instanceof Error ? err.message : String(err));
      return held;
    }
  }

  private live(raw: string | undefined, held: VerifiedState | undefined): { live: LiveState; liveDigest: string } | undefined {
    if (raw === undefined) return held ? { live: held.live, liveDigest: held.liveDigest } : this.refuse('live', 'missing');
    try {
      return { live: decodeLive(this.pageId, raw), liveDigest: sha256(raw) };
    } catch (err) {
      this.reject('live', err instanceof Error ? err.message : String(err));
      return held && { live: held.live, liveDigest: held.liveDigest };
    }
  }

  private refuse(what: string, reason: string): undefined {
    this.reject(what, reason);
    return undefined;
  }
}
