import type { Db } from '../../db/open.js';
import type { Clock } from '../../context.js';
import { actorIp, actorLabel, type Actor } from './actors.js';
import { audit } from './audit.js';

const MINUTE = 60_000;
/** Distinct values kept per facet (paths, accounts...) in one row; the rest are counted under "other". */
const MAX_VALUES = 20;
/** Distinct subjects (networks) per action and minute; past this, a spray from many networks is one more row. */
const MAX_SUBJECTS = 200;
const OVERFLOW = 'other networks';
const FLUSH_EVERY_MS = 10_000;

interface Bucket {
  actor: Actor;
  action: string;
  subject: string;
  minute: number;
  count: number;
  first: number;
  last: number;
  facets: Map<string, Map<string, number>>;
}

/**
 * Refusals of clients that are not signed in (a wrong API key, no session, a wrong or throttled
 * password at sign-in) counted per action, client network and minute, and written as one audit row
 * with the count once the minute is over: 5,000 requests with a wrong key are one row, not 5,000
 * fsync'd rows an attacker could pile up. What signed-in operators do is audited one row each,
 * elsewhere. Counts of the current minute live in memory until written (at most a minute of them is
 * lost in a crash). Counting never throws: a failed write is reported to `onError` and kept for the next.
 */
export class RefusalTally {
  private readonly buckets = new Map<string, Bucket>();
  /** Subjects seen per action and minute (to fold a spray of networks into one row). */
  private readonly subjects = new Map<string, number>();
  private flushedMinute = 0;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /**
   * `subject`: the client's network, or (`actor` given: a signed-in operator refused again and again,
   * such as a throttled password confirmation) what the refusals are about.
   */
  count(action: string, subject: string, facets: Record<string, string | number> = {}, actor: Actor = { type: 'anonymous' }): void {
    const now = this.clock.now().getTime();
    const minute = now - (now % MINUTE);
    // Minutes that are over are written once, when the first refusal of a new minute comes.
    if (minute > this.flushedMinute) this.flush(false);
    let key = `${action}\n${subject}\n${minute}\n${actorLabel(actor)}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      const seen = `${action}\n${minute}`;
      const n = (this.subjects.get(seen) ?? 0) + 1;
      this.subjects.set(seen, n);
      if (n > MAX_SUBJECTS) {
        subject = OVERFLOW;
        key = `${action}\n${subject}\n${minute}\n${actorLabel(actor)}`;
        bucket = this.buckets.get(key);
      }
    }
    if (!bucket) {
      bucket = { actor, action, subject, minute, count: 0, first: now, last: now, facets: new Map() };
      this.buckets.set(key, bucket);
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
    const due = [...this.buckets].filter(([, b]) => all || b.minute < current);
    try {
      if (due.length) this.write(due.map(([, b]) => b));
      for (const [key] of due) this.buckets.delete(key);
      for (const key of this.subjects.keys()) if (Number(key.split('\n')[1]) < current) this.subjects.delete(key);
      this.flushedMinute = current;
    } catch (err) {
      this.onError(err);
    }
  }

  /** Writes due buckets every few seconds until the returned stop, which writes the rest. */
  start(): () => void {
    const timer = setInterval(() => this.flush(false), FLUSH_EVERY_MS);
    timer.unref();
    return () => {
      clearInterval(timer);
      this.flush(true);
    };
  }

  private write(rows: Bucket[]): void {
    this.db.transaction(() => {
      for (const b of rows) {
        const detail = {
          ...(b.actor.type === 'anonymous' ? { anonymous: true } : {}),
          count: b.count,
          first_at: new Date(b.first).toISOString(),
          last_at: new Date(b.last).toISOString(),
          ...Object.fromEntries([...b.facets].map(([name, values]) => [name, Object.fromEntries(values)])),
        };
        const ip = b.actor.type === 'anonymous' ? (b.subject === OVERFLOW ? '' : b.subject) : actorIp(b.actor);
        audit(this.db, b.actor, b.action, b.subject, detail, new Date(b.minute), ip);
      }
    })();
  }
}
