import type { Deps } from '../../context.js';
import type { Db } from '../../db/open.js';
import { NotFound } from '../../errors.js';
import type { Actor } from '../access/actors.js';
import { auditedWrite } from '../write-path.js';
import { findSubscriber, type Subscriber, type SubscriberState } from './subscribers.js';
import type { Endpoint } from './endpoints.js';

/** The admin's view of email subscribers: search, counts, removal. */

export interface SubscriberQuery {
  q?: string;
  state?: SubscriberState;
  limit?: number;
  offset?: number;
}

export function searchSubscribers(db: Db, query: SubscriberQuery): Subscriber[] {
  return db
    .prepare(
      `SELECT * FROM subscribers WHERE (@q IS NULL OR email LIKE '%' || @q || '%' ESCAPE '\\')
         AND (@state IS NULL OR state = @state) ORDER BY created_at DESC, email LIMIT @limit OFFSET @offset`,
    )
    .all({
      q: query.q ? query.q.replace(/[\\%_]/g, (c) => `\\${c}`) : null,
      state: query.state ?? null,
      limit: query.limit ?? 100,
      offset: query.offset ?? 0,
    }) as Subscriber[];
}

export function subscriberCounts(db: Db): Record<SubscriberState | 'total', number> {
  const rows = db.prepare('SELECT state, COUNT(*) AS n FROM subscribers GROUP BY state').all() as { state: SubscriberState; n: number }[];
  const counts = { total: 0, pending: 0, confirmed: 0, unsubscribed: 0, bounced: 0 };
  for (const r of rows) {
    counts[r.state] = r.n;
    counts.total += r.n;
  }
  return counts;
}

export function removeSubscriber(ctx: Deps<'clock' | 'db'>, actor: Actor, id: string): void {
  const sub = findSubscriber(ctx.db, id);
  if (!sub) throw new NotFound('No such subscriber');
  auditedWrite(ctx, { action: 'subscriber.removed', actor }, () => {
    ctx.db.prepare('DELETE FROM subscribers WHERE id = ?').run(id);
    return { result: undefined, subject: sub.email };
  });
}

/**
 * A page of subscribers of one kind for the v1 API (`GET …/subscribers?type=`), in the order they came.
 * Addresses are personal data: every read is audited, as the admin's CSV export is.
 */
export function apiSubscriberPage(
  ctx: Deps<'clock' | 'db'>,
  actor: Actor,
  type: 'email' | 'webhook',
  perPage: number,
  offset: number,
): Subscriber[] | Endpoint[] {
  return auditedWrite(ctx, { action: `subscribers.listed.${type}`, actor }, () => {
    const rows =
      type === 'webhook'
        ? (ctx.db.prepare("SELECT * FROM endpoints WHERE kind = 'webhook' ORDER BY created_at, id LIMIT ? OFFSET ?").all(perPage, offset) as Endpoint[])
        : (ctx.db
            .prepare("SELECT * FROM subscribers WHERE state <> 'unsubscribed' ORDER BY created_at, id LIMIT ? OFFSET ?")
            .all(perPage, offset) as Subscriber[]);
    return { result: rows, subject: type, detail: { count: rows.length, offset } };
  });
}
