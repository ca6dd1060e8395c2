import type { Redis } from 'ioredis';
import { ConfigError, type Config } from '../../config.js';
import type { Log } from '../../log.js';
import type { Body } from '../../snapshot/body.js';
import type { LiveState, ReadModel } from '../../snapshot/snapshot.js';
import { connectRedis } from './connection.js';
import { claimedTag, decodeDoc, decodeLive, FormatError } from './format.js';
import { DOC_FIELD, findPage, pageKeys, type PageKeys } from './keys.js';

/** What an edge serves: every public document and the live state, at the primary's version. */
export interface ReplicaState {
  version: number;
  /** The primary run that published it (a primary restored to an older backup starts a new one). */
  epoch: string;
  bodies: Map<string, Body>;
  live: LiveState;
}

export interface ReplicaStatus {
  ready: boolean;
  page: string | undefined;
  version: number | undefined;
  redis: 'connected' | 'unreachable';
  /** When the last publication was applied (or the state last re-read). */
  changedAt: string | undefined;
}

const BLOCK_MS = 5000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** A stream entry's fields (a flat [name, value, ...] list) by name. */
function fieldsOf(list: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < list.length; i += 2) map.set(list[i] ?? '', list[i + 1] ?? '');
  return map;
}

/**
 * An edge's read model (PHAROS_ROLE=edge): the primary's public read model, from Redis. It starts from
 * the page's hash, then follows the page's stream (XREAD BLOCK on a connection of its own), applying
 * each publication in order, so that it never goes back to an older state; an entry that does not
 * follow the last one applied (a gap, Redis restarted, another writer) makes it re-read the hash,
 * atomically with the stream's position. With Redis away it keeps serving what it has and re-reads
 * once Redis is back. A document that is malformed, foreign or does not match its ETag is logged and
 * the one held before is kept; so is the live state.
 */
export class Replica implements ReadModel {
  private state: ReplicaState | undefined;
  private pageId: string | undefined;
  private keys: PageKeys | undefined;
  private lastId = '0-0';
  private mustReload = true;
  private stopped = false;
  private changedAt: Date | undefined;
  private readonly cmd: Redis;
  private readonly blocking: Redis;
  private readonly listeners = new Set<(s: ReplicaState) => void>();
  private lastProblem = '';
  /** Until start() has settled: a configuration problem is its caller's to report, once. */
  private starting = true;

  constructor(private readonly deps: { config: Config; log: Log }) {
    const url = deps.config.redisUrl;
    if (!url) throw new ConfigError('REDIS_URL', 'must be set on an edge (PHAROS_ROLE=edge): the read model comes from Redis');
    this.pageId = deps.config.pageIdToServe;
    if (this.pageId) this.keys = pageKeys(this.pageId);
    this.cmd = connectRedis(url, deps.log, 'edge');
    // A blocking read holds its connection; a client-side deadline catches a connection that died silently.
    this.blocking = connectRedis(url, deps.log, 'edge-follow', { blockingTimeout: BLOCK_MS * 2 });
  }

  /**
   * Starts following Redis; resolves once a state is loaded, or after `waitMs` (the edge then forwards
   * reads to its primary until one is). Rejects with a ConfigError when Redis holds several pages and
   * PAGE_ID does not say which.
   */
  async start(waitMs = 5000): Promise<void> {
    let settle!: (err?: Error) => void;
    const first = new Promise<void>((resolve, reject) => {
      settle = (err) => {
        this.starting = false;
        if (err) reject(err);
        else resolve();
      };
    });
    const timer = setTimeout(() => settle(), waitMs);
    void this.follow(settle);
    try {
      await first;
    } finally {
      clearTimeout(timer);
    }
  }

  current(): ReplicaState {
    if (!this.state) throw new Error('no state replicated from Redis yet');
    return this.state;
  }

  onChange(listener: (s: ReplicaState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): ReplicaStatus {
    return {
      ready: this.state !== undefined,
      page: this.pageId,
      version: this.state?.version,
      redis: this.cmd.status === 'ready' && this.blocking.status === 'ready' ? 'connected' : 'unreachable',
      changedAt: this.changedAt?.toISOString(),
    };
  }

  /** Stops following: the loop ends at its next step (its pauses do not hold the process open). */
  stop(): Promise<void> {
    this.stopped = true;
    this.blocking.disconnect();
    this.cmd.disconnect();
    return Promise.resolve();
  }

  private async follow(settle: (err?: Error) => void): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        if (!this.keys) {
          const page = await findPage(this.cmd);
          if (!page) {
            this.problem('waiting for a primary to publish a page to Redis');
            await sleep(1000);
            continue;
          }
          this.pageId = page;
          this.keys = pageKeys(page);
        }
        if (this.mustReload) await this.reload();
        if (this.state) settle();
        const result = await this.blocking.xread('BLOCK', BLOCK_MS, 'STREAMS', this.keys.changes, this.lastId);
        failures = 0;
        if (!Array.isArray(result)) continue;
        for (const [, entries] of result as [string, [string, string[]][]][]) {
          for (const [id, fields] of entries) {
            this.apply(id, fieldsOf(fields));
            if (this.mustReload) break;
          }
        }
      } catch (err) {
        if (this.stopped) break;
        if (err instanceof ConfigError) {
          if (this.starting) settle(err);
          else this.problem(err.message);
          await sleep(5000);
          continue;
        }
        // Redis away or a command failed: what follows may have been missed; re-read once it is back.
        this.mustReload = true;
        failures++;
        await sleep(Math.min(2000, 100 * 2 ** Math.min(failures, 5)));
      }
    }
  }

  private problem(message: string): void {
    if (message === this.lastProblem) return;
    this.lastProblem = message;
    this.deps.log.warn({ page: this.pageId }, message);
  }

  /** The page's hash and the stream's last entry, read atomically: the state as of that entry. */
  private async reload(): Promise<void> {
    const keys = this.keys;
    if (!keys || !this.pageId) return;
    const results = await this.cmd.multi().hgetall(keys.state).xrevrange(keys.changes, '+', '-', 'COUNT', 1).exec();
    if (!results) throw new Error('the transaction was aborted');
    const [[hashErr, hash], [streamErr, last]] = results as [[Error | null, Record<string, string>], [Error | null, [string, string[]][]]];
    if (hashErr) throw hashErr;
    if (streamErr) throw streamErr;
    const lastId = last[0]?.[0] ?? '0-0';
    const version = Number(hash.version);
    if (hash.version === undefined) {
      // Nothing published for this page yet (or Redis lost it): keep what is held, wait for the primary.
      if (!this.state) this.problem(`waiting for the primary of page ${this.pageId} to publish to Redis`);
      this.lastId = lastId;
      this.mustReload = false;
      return;
    }
    const epoch = hash.epoch ?? '';
    const held = this.state;
    if (!Number.isSafeInteger(version) || version < 0) {
      this.reject('version', new FormatError(`not a version: ${String(hash.version).slice(0, 40)}`));
      this.lastId = lastId;
      this.mustReload = false;
      return;
    }
    if (held && held.epoch === epoch && version < held.version) {
      this.deps.log.warn({ version, held: held.version }, 'Redis holds an older version than this edge; keeping the newer one');
      this.lastId = lastId;
      this.mustReload = false;
      return;
    }
    if (held && held.epoch !== epoch && version < held.version) {
      this.deps.log.warn({ version, held: held.version }, 'a new primary run published an older version (a restored backup?); serving it');
    }
    const bodies = new Map<string, Body>();
    for (const [field, raw] of Object.entries(hash)) {
      if (!field.startsWith(DOC_FIELD)) continue;
      const key = field.slice(DOC_FIELD.length);
      const body = this.decodeBody(key, raw, held?.bodies.get(key));
      if (body) bodies.set(key, body);
    }
    const live = this.decodeLiveOr(hash.live, held?.live);
    this.lastId = lastId;
    this.mustReload = false;
    if (!live) return;
    this.replace({ version, epoch, bodies, live });
  }

  /** One publication: applied if it follows the last one; otherwise the hash is re-read. */
  private apply(id: string, f: Map<string, string>): void {
    const held = this.state;
    const kind = f.get('kind');
    if (!held || kind !== 'delta' || f.get('base') !== this.lastId) {
      this.mustReload = true;
      return;
    }
    const version = Number(f.get('version'));
    const epoch = f.get('epoch') ?? '';
    this.lastId = id;
    if (!Number.isSafeInteger(version) || version < 0) return this.reject('version', new FormatError('not a version'));
    if (epoch === held.epoch && version < held.version) {
      this.deps.log.warn({ version, held: held.version }, 'ignored a publication older than the state held');
      return;
    }
    const bodies = new Map(held.bodies);
    let removed: unknown;
    try {
      removed = JSON.parse(f.get('removed') ?? '[]');
    } catch {
      removed = [];
    }
    if (Array.isArray(removed))
      for (const field of removed) if (typeof field === 'string' && field.startsWith(DOC_FIELD)) bodies.delete(field.slice(DOC_FIELD.length));
    for (const [field, raw] of f) {
      if (!field.startsWith(DOC_FIELD)) continue;
      const key = field.slice(DOC_FIELD.length);
      const body = this.decodeBody(key, raw, held.bodies.get(key));
      if (body) bodies.set(key, body);
    }
    const live = f.has('live') ? (this.decodeLiveOr(f.get('live'), held.live) ?? held.live) : held.live;
    this.replace({ version, epoch, bodies, live });
  }

  private decodeBody(key: string, raw: string, held: Body | undefined): Body | undefined {
    if (held && claimedTag(raw) === held.etag.slice(1, -1)) return held;
    try {
      return decodeDoc(this.pageId ?? '', raw);
    } catch (err) {
      this.reject(key, err);
      return held;
    }
  }

  private decodeLiveOr(raw: string | undefined, held: LiveState | undefined): LiveState | undefined {
    if (raw === undefined) return held;
    try {
      return decodeLive(this.pageId ?? '', raw);
    } catch (err) {
      this.reject('live', err);
      return held;
    }
  }

  private reject(what: string, err: unknown): void {
    this.deps.log.error(
      { page: this.pageId, document: what.slice(0, 200), reason: err instanceof Error ? err.message.slice(0, 300) : String(err) },
      'ignored a malformed or foreign document from Redis; keeping the last good one',
    );
  }

  private replace(state: ReplicaState): void {
    this.state = state;
    this.changedAt = new Date();
    this.lastProblem = '';
    for (const listener of this.listeners) listener(state);
  }
}
