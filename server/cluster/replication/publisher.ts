import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Redis } from 'ioredis';
import type { Config } from '../../config.js';
import type { Log } from '../../log.js';
import type { Body } from '../../snapshot/body.js';
import type { SnapshotState } from '../../snapshot/snapshot.js';
import { refusal } from './allow-list.js';
import { connectRedis, redisAddress } from './connection.js';
import { encodeDoc, encodeLive } from './format.js';
import { docField, PAGES_KEY, pageKeys } from './keys.js';
import { PUBLISH, RELEASE, RENEW } from './lua.js';
import { emptyDigest, newEpoch, sha256, Signer, xorInPlace } from './signing.js';
import { identity, type Published } from './published.js';

/** How long the lease of the publishing primary lasts without renewal, and how often it is renewed. */
export const LEASE_MS = 10_000;
const RENEW_MS = 3_000;
/** Stream entries kept (each is one publication's changes); an edge further behind re-reads the hash. */
const STREAM_LENGTH = 200;
/** A publication changing more documents than this tells edges to re-read the hash instead of carrying them. */
const MAX_DOCS_IN_ENTRY = 100;

export interface PublisherStatus {
  state: 'publishing' | 'waiting for Redis' | 'refused: another primary publishes this page';
  version: number | undefined;
  publishedAt: string | undefined;
}

type PublicState = Pick<SnapshotState, 'version' | 'bodies' | 'live'>;

/**
 * The primary's side of replication (REDIS_URL): after each new state of the snapshot, the documents
 * that changed (every public GET, each in every encoding), the live state and the version go to Redis
 * in one atomic step, announced on the page's stream. Never in the way of a commit: publish() only
 * notes the newest state; the compression runs on the thread pool, and states that come while one is
 * being sent are coalesced into the next. With Redis away nothing waits; once it is back, the whole
 * current state is published again (Redis may have lost it, edges may have missed entries), and so it
 * is when the hash's signature is not the one this primary wrote last (someone replaced it).
 * Everything is signed with REPLICATION_SECRET (signing.ts): each document, and each state with the
 * digest of its whole set of documents, kept up to date by the documents each publication changes.
 * One primary per page: its lease (its host and data folder) keeps a second one from publishing.
 */
export class Publisher {
  private readonly redis: Redis;
  private readonly keys;
  readonly holder: string;
  readonly epoch = newEpoch();
  private readonly signer: Signer;
  /** The newest state handed over, and the one still to send (undefined once Redis has it). */
  private current: PublicState | undefined;
  private latest: PublicState | undefined;
  private sending = false;
  private full = true;
  private refusedBy: string | undefined;
  /** What Redis holds as of this primary's last publication: each document (its ETag, type and headers), the live state. */
  private published = new Map<string, Published>();
  private publishedLive: string | undefined;
  /** The set's digest of the documents published (signing.ts), and the state's signature written last. */
  private digest = emptyDigest();
  private publishedSig: string | undefined;
  private encoded = new Map<string, Published>();
  /** The number of the last publication tried (each try takes a new one), and of the last one Redis took. */
  private seq = 0;
  private publishedSeq = 0;
  private publishedVersion: number | undefined;
  private publishedAt: Date | undefined;
  private readonly renew: NodeJS.Timeout;
  private readonly listeners = new Set<(version: number) => void>();
  private readonly unpublishable = new Set<string>();

  constructor(private readonly deps: { config: Config; log: Log; pageId: string }) {
    const url = deps.config.redisUrl;
    if (!url) throw new Error('Publisher without REDIS_URL');
    if (!deps.config.replicationSecret) throw new Error('Publisher without REPLICATION_SECRET');
    this.signer = new Signer(deps.config.replicationSecret, deps.pageId);
    this.keys = pageKeys(deps.pageId);
    this.holder = `${hostname()}:${resolve(deps.config.dataDir)}`;
    this.redis = connectRedis(url, deps.log, 'primary');
    this.redis.on('ready', () => {
      this.full = true;
      this.latest ??= this.current;
      this.flush();
    });
    this.renew = setInterval(() => void this.renewLease(), RENEW_MS);
    this.renew.unref();
    deps.log.info({ redis: redisAddress(url), page: deps.pageId }, 'publishing the public read model to Redis');
  }

  /** A new state of the snapshot (compose.ts's wire() hands each one): sent when Redis can take it. */
  publish(state: PublicState): void {
    this.current = state;
    this.latest = state;
    this.flush();
  }

  /** Called after each publication that reached Redis (benchmarks and tests wait on it). */
  onPublished(listener: (version: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): PublisherStatus {
    return {
      state: this.refusedBy ? 'refused: another primary publishes this page' : this.redis.status === 'ready' ? 'publishing' : 'waiting for Redis',
      version: this.publishedVersion,
      publishedAt: this.publishedAt?.toISOString(),
    };
  }

  private flush(): void {
    if (this.sending || !this.latest || this.redis.status !== 'ready') return;
    const state = this.latest;
    this.sending = true;
    this.send(state)
      .then((sent) => {
        // A state that came meanwhile replaces this one; otherwise this one is done.
        if (sent && this.latest === state) this.latest = undefined;
      })
      .catch((err: unknown) => {
        // Unknown whether it was applied: the next publication is a full one.
        this.full = true;
        this.deps.log.warn({ err: err instanceof Error ? err.message : String(err), version: state.version }, 'could not publish to Redis; retrying');
      })
      .finally(() => {
        this.sending = false;
        // While refused, the lease's renewal tries again; after an error, a second from now (or on 'ready').
        if (this.latest && this.latest !== state) this.flush();
        else if (this.latest && !this.refusedBy) setTimeout(() => this.flush(), 1000).unref();
      });
  }

  /**
   * Sends a state; false when refused (another primary holds the lease). What it costs grows with the
   * documents that changed, not with all of them: the snapshot keeps the same Body object for a document
   * that did not change, so one comparison of references tells (10,000 incidents' pages and feeds would
   * otherwise be looked at after every write). A try that fails leaves `published` as it was.
   */
  private async send(state: PublicState): Promise<boolean> {
    const full = this.full;
    const was = full ? new Map<string, Published>() : this.published;
    const changed: [string, string][] = [];
    const replaced: [string, Published][] = [];
    const digest = full ? emptyDigest() : Buffer.from(this.digest);
    let added = 0;
    let skipped = 0;
    const withdrawn: string[] = [];
    for (const [key, body] of state.bodies) {
      const before = was.get(key);
      if (before?.body === body) continue;
      const id = identity(key, body);
      if (before?.id === id) {
        replaced.push([key, { ...before, body }]);
        continue;
      }
      if (this.refusedByEdges(key, body)) {
        // Edges would refuse its new form: its old one is taken out of Redis rather than left standing.
        if (before) withdrawn.push(key);
        else skipped++;
        continue;
      }
      if (!before) added++;
      let doc = this.encoded.get(id);
      if (!doc) {
        const { raw, sig } = await encodeDoc(this.signer, this.deps.pageId, key, body);
        doc = { id, raw, member: this.signer.member(sig), body };
        this.encoded.set(id, doc);
      }
      xorInPlace(digest, before?.member);
      xorInPlace(digest, doc.member);
      replaced.push([key, { ...doc, body }]);
      changed.push([docField(key), doc.raw]);
    }
    // Every key of the state is now published or refused: any published key beyond them is gone from the page.
    const gone = was.size + added > state.bodies.size - skipped ? [...was.keys()].filter((key) => !state.bodies.has(key)) : [];
    const removed = [...gone, ...withdrawn];
    for (const key of removed) xorInPlace(digest, was.get(key)?.member);
    const live = encodeLive(this.deps.pageId, state.live);
    const liveChanged = full || live !== this.publishedLive;
    if (!full && !changed.length && !removed.length && !liveChanged && state.version === this.publishedVersion) {
      // Nothing to send; the bodies now standing for unchanged documents are remembered all the same.
      for (const [key, doc] of replaced) was.set(key, doc);
      return true;
    }
    const pairs = liveChanged ? [['live', live] as [string, string], ...changed] : changed;
    const kind = full || changed.length > MAX_DOCS_IN_ENTRY ? 'reload' : 'delta';
    // A new number for every try: one whose outcome is unknown is never reused for another state.
    const seq = ++this.seq;
    const sig = this.signer.state({ epoch: this.epoch, seq, version: state.version, digest, liveDigest: sha256(live) });
    const removedFields = removed.map(docField);
    const args = [
      this.holder,
      String(LEASE_MS),
      String(STREAM_LENGTH),
      full ? '' : String(this.publishedSeq),
      kind,
      String(state.version),
      this.epoch,
      full ? '1' : '0',
      JSON.stringify(removedFields),
      String(seq),
      sig,
      String(removedFields.length),
      ...removedFields,
      String(kind === 'delta' ? pairs.length : 0),
      ...pairs.flat(),
    ];
    const result = (await this.redis.eval(PUBLISH, 3, this.keys.lease, this.keys.state, this.keys.changes, ...args)) as [number, string];
    if (result[0] === 0) {
      this.refused(result[1]);
      return false;
    }
    if (this.refusedBy) {
      this.deps.log.info({ page: this.deps.pageId }, 'the other primary stopped publishing; this one publishes the page now');
      this.refusedBy = undefined;
    }
    if (full) await this.redis.sadd(PAGES_KEY, this.deps.pageId);
    this.full = false;
    // Only the encoded forms of what Redis holds now are kept.
    if (full) {
      const current = new Set([...replaced].map(([, doc]) => doc.id));
      for (const id of this.encoded.keys()) if (!current.has(id)) this.encoded.delete(id);
    } else {
      for (const [key, doc] of replaced) if (was.get(key)?.id !== doc.id) this.encoded.delete(was.get(key)?.id ?? '');
      for (const key of removed) this.encoded.delete(was.get(key)?.id ?? '');
    }
    for (const [key, doc] of replaced) was.set(key, doc);
    for (const key of removed) was.delete(key);
    this.published = was;
    this.digest = digest;
    this.publishedSeq = seq;
    this.publishedSig = sig;
    this.publishedLive = live;
    this.publishedVersion = state.version;
    this.publishedAt = new Date();
    for (const listener of this.listeners) listener(state.version);
    return true;
  }

  /** A document edges would not take (allow-list.ts) is not published: what is published is one set both sides agree on. */
  private refusedByEdges(key: string, body: Body): boolean {
    const reason = refusal(key, body.type, body.headers);
    if (reason && !this.unpublishable.has(key)) {
      this.unpublishable.add(key);
      this.deps.log.error({ page: this.deps.pageId, document: key, reason }, 'a document edges would refuse is not published to Redis (allow-list.ts)');
    }
    return reason !== undefined;
  }

  private refused(holder: string): void {
    this.full = true;
    if (this.refusedBy === holder) return;
    this.refusedBy = holder;
    this.deps.log.error(
      { page: this.deps.pageId, holder },
      'another Pharos primary publishes this page to Redis; this one does not publish until it stops (run one primary per database)',
    );
  }

  private async renewLease(): Promise<void> {
    if (this.redis.status !== 'ready') return;
    const sent = this.publishedSig;
    try {
      const [held, value] = (await this.redis.eval(RENEW, 2, this.keys.lease, this.keys.state, this.holder, String(LEASE_MS))) as [number, string];
      if (held === 0) return this.refused(value);
      if (this.refusedBy) {
        this.deps.log.info({ page: this.deps.pageId }, 'the other primary stopped publishing; this one publishes the page now');
        this.refusedBy = undefined;
        this.full = true;
      } else if (sent !== undefined && value !== sent && !this.sending && this.publishedSig === sent) {
        // Not what this primary wrote last, and nothing of its own on the way: Redis lost it, or someone replaced it.
        this.deps.log.warn({ page: this.deps.pageId }, "the page's state in Redis is not the one this primary published; publishing it all again");
        this.full = true;
      } else return;
      this.latest ??= this.current;
      this.flush();
    } catch {
      // Redis went away meanwhile: the connection logs it, 'ready' republishes.
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.renew);
    try {
      if (this.redis.status === 'ready') await this.redis.eval(RELEASE, 1, this.keys.lease, this.holder);
    } catch {
      // The lease expires by itself.
    }
    this.redis.disconnect();
  }
}
