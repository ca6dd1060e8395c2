import type { Redis } from 'ioredis';
import { ConfigError, type Config } from '../../config.js';
import type { Log } from '../../log.js';
import type { ReadModel } from '../../snapshot/snapshot.js';
import { BoundedLog } from './bounded-log.js';
import { connectRedis } from './connection.js';
import { findPage, pageKeys, type PageKeys } from './keys.js';
import { Signer } from './signing.js';
import { order, claimed, Verifier, type VerifiedState } from './verified.js';

/** What an edge serves: every public document and the live state, at the primary's version, as a primary of the page signed it. */
export type ReplicaState = VerifiedState;

export interface ReplicaStatus {
  ready: boolean;
  page: string | undefined;
  version: number | undefined;
  redis: 'connected' | 'unreachable';
  /** When the last publication was applied (or the state last re-read). */
  changedAt: string | undefined;
}

const BLOCK_MS = 5000;
/** Re-reading the hash is the costly step: someone writing entries to Redis must not make an edge do it in a loop. */
const RELOAD_EVERY_MS = 500;
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
 * once Redis is back. Only what a primary of the page signed is applied (verified.ts): a document that
 * is malformed, foreign, not allowed or not signed is logged (boundedly) and the one held is kept; a state
 * or entry whose whole is not what the primary signed, or older than the one held (replayed), is refused.
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
  private lastReload = 0;
  private readonly rejected: BoundedLog;
  private verifier: Verifier | undefined;
  /** Until start() has settled: a configuration problem is its caller's to report, once. */
  private starting = true;

  constructor(private readonly deps: { config: Config; log: Log }) {
    const url = deps.config.redisUrl;
    if (!url) throw new ConfigError('REDIS_URL', 'must be set on an edge (PHAROS_ROLE=edge): the read model comes from Redis');
    if (!deps.config.replicationSecret) throw new ConfigError('REPLICATION_SECRET', 'must be set on an edge: it serves only what its primary signed');
    this.rejected = new BoundedLog(deps.log);
    if (deps.config.pageIdToServe) this.serve(deps.config.pageIdToServe);
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

  private serve(page: string): void {
    this.pageId = page;
    this.keys = pageKeys(page);
    this.verifier = new Verifier(new Signer(this.deps.config.replicationSecret ?? '', page), page, (what, reason) =>
      this.rejected.error(
        { page, document: what.slice(0, 200), reason: reason.slice(0, 300) },
        'ignored a malformed, foreign or unsigned document from Redis; keeping the last good one',
      ),
    );
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
          this.serve(page);
        }
        if (this.mustReload) {
          const wait = this.lastReload + RELOAD_EVERY_MS - Date.now();
          if (wait > 0) await sleep(wait);
          this.lastReload = Date.now();
          await this.reload();
        }
        if (this.state) settle();
        const keys = this.keys;
        if (!keys) continue;
        const result = await this.blocking.xread('BLOCK', BLOCK_MS, 'STREAMS', keys.changes, this.lastId);
        failures = 0;
        if (!Array.isArray(result)) continue;
        for (const [, entries] of result as [string, [string, string[]][]][]) {
          for (const [id, fields] of entries) {
            await this.apply(id, fieldsOf(fields));
            if (this.mustReload || this.stopped) break;
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
    const verifier = this.verifier;
    if (!keys || !verifier) return;
    const results = await this.cmd.multi().hgetall(keys.state).xrevrange(keys.changes, '+', '-', 'COUNT', 1).exec();
    if (!results) throw new Error('the transaction was aborted');
    const [[hashErr, hash], [streamErr, last]] = results as [[Error | null, Record<string, string>], [Error | null, [string, string[]][]]];
    if (hashErr) throw hashErr;
    if (streamErr) throw streamErr;
    this.lastId = last[0]?.[0] ?? '0-0';
    this.mustReload = false;
    const held = this.state;
    if (hash.version === undefined) {
      // Nothing published for this page yet (or Redis lost it): keep what is held, wait for the primary.
      if (!held) this.problem(`waiting for the primary of page ${this.pageId} to publish to Redis`);
      return;
    }
    const claim = claimed({ get: (name) => hash[name] });
    const where = claim && order(held, claim.epoch, claim.seq);
    if (held && where === 'same') return;
    if (held && (where === 'older' || where === 'earlier run')) {
      this.rejected.error(
        { page: this.pageId, held: held.seq, found: claim?.seq },
        'Redis holds an older state than this edge (replayed?); keeping the newer one',
      );
      return;
    }
    const next = await verifier.fromHash(hash, held);
    if (!next) return;
    if (held && next.epoch !== held.epoch && next.version < held.version) {
      this.deps.log.warn({ version: next.version, held: held.version }, 'a later primary run published an older version (a restored backup?); serving it');
    }
    this.replace(next);
  }

  /** One publication: applied if it follows the state held; re-reads the hash if some were missed; ignored if older. */
  private async apply(id: string, f: Map<string, string>): Promise<void> {
    const held = this.state;
    const claim = claimed(f);
    const where = claim && order(held, claim.epoch, claim.seq);
    if (!held || (where === 'newer' && (held.epoch !== claim?.epoch || f.get('kind') !== 'delta' || f.get('base') !== String(held.seq)))) {
      // Missed publications, a full one, or a later run: the hash says where the page is now.
      this.mustReload = true;
      return;
    }
    this.lastId = id;
    if (where !== 'newer') {
      this.rejected.error(
        { page: this.pageId, entry: id, held: held.seq, found: claim?.seq ?? null },
        'ignored a stream entry that is not a newer signed publication (replayed or forged)',
      );
      return;
    }
    const next = await this.verifier?.applyEntry(f, held);
    if (next) this.replace(next);
  }

  private replace(state: ReplicaState): void {
    this.state = state;
    this.changedAt = new Date();
    this.lastProblem = '';
    for (const listener of this.listeners) listener(state);
  }
}
