import type { Db } from '../db/open.js';
import type { Clock } from '../context.js';
import { audit } from './audit.js';

const MINUTE = 60_000;
/** Distinct values kept per facet (paths, accounts...) in one row; the rest are counted under "other". */
const MAX_VALUES = 20;
/** Buckets held at once; past this (a spray from very many networks) the oldest are written early. */
const MAX_BUCKETS = 10_000;
const FLUSH_EVERY_MS = 10_000;

interface Bucket {
  action: string;
  network: string;
  minute: number;
  count: number;
  first: number;
  last: number;
  facets: Map<string, Map<string, number>>;
}

/**
 * Refusals of anonymous clients (a wrong API key, no session, a throttled sign-in) counted per action,
 * client network and minute, and written as one audit row with the count once the minute is over:
 * 5,000 requests with a wrong key are one row, not 5,000 fsync'd rows an attacker could pile up.
 * What signed-in operators do is audited one row each, elsewhere. Counts of the current minute live in
 * memory until written (at most a minute of them is lost in a crash).
 */
export class RefusalTally {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  count(action: string, network: string, facets: Record<string, string | number> = {}): void {
    const now = this.clock.now().getTime();
    const minute = now - (now % MINUTE);
    this.flush(false);
    const key = `${action}\n${network}\n${minute}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { action, network, minute, count: 0, first: now, last: now, facets: new Map() };
      this.buckets.set(key, bucket);
      if (this.buckets.size > MAX_BUCKETS) this.write([...this.buckets.keys()].slice(0, MAX_BUCKETS / 10));
    }
    bucket.count++;
    bucket.last = now;
    for (const [name, raw] of Object.entries(facets)) {
      const value = String(raw).slice(0, 200);
      const values = bucket.facets.get(name) ?? new Map<string, number>();
      bucket.facets.set(name, values);
      const slot = values.has(value) || values.size < MAX_VALUES ? value : 'other';
      values.set(slot, (values.get(slot) ?? 0) + 1);
    }
  }

  /** Writes the buckets of minutes that are over, or (all) every bucket, the current minute's too. */
  flush(all = true): void {
    const now = this.clock.now().getTime();
    const current = now - (now % MINUTE);
    const due = [...this.buckets].filter(([, b]) => all || b.minute < current).map(([k]) => k);
    if (due.length) this.write(due);
  }

  /** Writes due buckets every few seconds until the returned stop, which writes the rest. */
  start(onError: (err: unknown) => void): () => void {
    const timer = setInterval(() => {
      try {
        this.flush(false);
      } catch (err) {
        onError(err);
      }
    }, FLUSH_EVERY_MS);
    timer.unref();
    return () => {
      clearInterval(timer);
      this.flush(true);
    };
  }

  private write(keys: string[]): void {
    const rows = keys.map((k) => this.buckets.get(k)).filter((b): b is Bucket => b !== undefined);
    for (const k of keys) this.buckets.delete(k);
    this.db.transaction(() => {
      for (const b of rows) {
        const detail = {
          anonymous: true,
          count: b.count,
          first_at: new Date(b.first).toISOString(),
          last_at: new Date(b.last).toISOString(),
          ...Object.fromEntries([...b.facets].map(([name, values]) => [name, Object.fromEntries(values)])),
        };
        audit(this.db, { type: 'anonymous' }, b.action, b.network, detail, new Date(b.minute), b.network);
      }
    })();
  }
}
