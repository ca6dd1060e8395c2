import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Redis } from 'ioredis';
import type { Config } from '../../config.js';
import type { Log } from '../../log.js';
import type { SnapshotState } from '../../snapshot/snapshot.js';
import { connectRedis, redisAddress } from './connection.js';
import { encodeDoc, encodeLive } from './format.js';
import { docField, PAGES_KEY, pageKeys } from './keys.js';

/** How long the lease of the publishing primary lasts without renewal, and how often it is renewed. */
export const LEASE_MS = 10_000;
const RENEW_MS = 3_000;
/** Stream entries kept (each is one publication's changes); an edge further behind re-reads the hash. */
const STREAM_LENGTH = 200;
/** A publication changing more documents than this tells edges to re-read the hash instead of carrying them. */
const MAX_DOCS_IN_ENTRY = 100;

/**
 * One publication, atomic: refused while another primary holds the page's lease; else the lease is
 * renewed, the hash updated (emptied first for a full publication), and a stream entry appended that
 * carries the changes (kind "delta") or tells edges to re-read the hash (kind "reload"), with the id of
 * the previous entry this primary appended (`base`): an edge that did not apply that one re-reads too.
 * KEYS: lease, state, changes. ARGV: holder, lease ms, stream length, base, kind, version, epoch,
 * full (1/0), removed (JSON), n removed, removed fields..., then field/value pairs; the first
 * `inEntry` pairs also go into the entry.
 */
const PUBLISH = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return {0, holder} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if ARGV[8] == '1' then redis.call('DEL', KEYS[2]) end
local n = tonumber(ARGV[10])
for i = 11, 10 + n do redis.call('HDEL', KEYS[2], ARGV[i]) end
redis.call('HSET', KEYS[2], 'version', ARGV[6], 'epoch', ARGV[7])
local entry = {'base', ARGV[4], 'kind', ARGV[5], 'version', ARGV[6], 'epoch', ARGV[7], 'removed', ARGV[9]}
local inEntry = tonumber(ARGV[11 + n])
local k = 0
for i = 12 + n, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  if k < inEntry then
    table.insert(entry, ARGV[i])
    table.insert(entry, ARGV[i + 1])
  end
  k = k + 1
end
local id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', unpack(entry))
return {1, id}
`;

/** Renews the lease if this primary holds it or nobody does; returns the other holder otherwise. */
const RENEW = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return holder end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

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
 * current state is published again (Redis may have lost it, edges may have missed entries).
 * One primary per page: its lease (its host and data folder) keeps a second one from publishing.
 */
export class Publisher {
  private readonly redis: Redis;
  private readonly keys;
  readonly holder: string;
  readonly epoch = randomBytes(6).toString('base64url');
  /** The newest state handed over, and the one still to send (undefined once Redis has it). */
  private current: PublicState | undefined;
  private latest: PublicState | undefined;
  private sending = false;
  private full = true;
  private refusedBy: string | undefined;
  /** What Redis holds as of this primary's last publication: each document's ETag, the live state. */
  private published = new Map<string, string>();
  private publishedLive: string | undefined;
  private encoded = new Map<string, string>();
  private lastId = '';
  private publishedVersion: number | undefined;
  private publishedAt: Date | undefined;
  private readonly renew: NodeJS.Timeout;
  private readonly listeners = new Set<(version: number) => void>();

  constructor(private readonly deps: { config: Config; log: Log; pageId: string }) {
    const url = deps.config.redisUrl;
    if (!url) throw new Error('Publisher without REDIS_URL');
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

  /** Sends a state; false when refused (another primary holds the lease). */
  private async send(state: PublicState): Promise<boolean> {
    const full = this.full;
    const changed: [string, string][] = [];
    for (const [key, body] of state.bodies) {
      if (!full && this.published.get(key) === body.etag) continue;
      const cacheKey = `${key}\n${body.etag}`;
      let doc = this.encoded.get(cacheKey);
      if (!doc) {
        doc = await encodeDoc(this.deps.pageId, body);
        this.encoded.set(cacheKey, doc);
      }
      changed.push([docField(key), doc]);
    }
    const removed = full ? [] : [...this.published.keys()].filter((key) => !state.bodies.has(key)).map(docField);
    const live = encodeLive(this.deps.pageId, state.live);
    const liveChanged = full || live !== this.publishedLive;
    if (!full && !changed.length && !removed.length && !liveChanged && state.version === this.publishedVersion) return true;
    const pairs = liveChanged ? [['live', live] as [string, string], ...changed] : changed;
    const kind = full || changed.length > MAX_DOCS_IN_ENTRY ? 'reload' : 'delta';
    const args = [
      this.holder,
      String(LEASE_MS),
      String(STREAM_LENGTH),
      full ? '' : this.lastId,
      kind,
      String(state.version),
      this.epoch,
      full ? '1' : '0',
      JSON.stringify(removed),
      String(removed.length),
      ...removed,
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
    this.lastId = result[1];
    this.full = false;
    this.published = new Map([...state.bodies].map(([key, body]) => [key, body.etag]));
    this.publishedLive = live;
    // Only the forms of what Redis holds now are kept.
    const current = new Set([...state.bodies].map(([key, body]) => `${key}\n${body.etag}`));
    for (const key of this.encoded.keys()) if (!current.has(key)) this.encoded.delete(key);
    this.publishedVersion = state.version;
    this.publishedAt = new Date();
    for (const listener of this.listeners) listener(state.version);
    return true;
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
    try {
      const other = (await this.redis.eval(RENEW, 1, this.keys.lease, this.holder, String(LEASE_MS))) as string | null;
      if (other) return this.refused(other);
      if (this.refusedBy) {
        this.deps.log.info({ page: this.deps.pageId }, 'the other primary stopped publishing; this one publishes the page now');
        this.refusedBy = undefined;
        this.full = true;
        this.latest ??= this.current;
        this.flush();
      }
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
