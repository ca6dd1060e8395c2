import type { Deps } from '../../context.js';
import type { Db } from '../../db/open.js';
import { NotFound } from '../../errors.js';
import type { Actor } from '../access/actors.js';
import { auditedWrite } from '../write-path.js';
import { z } from 'zod';
import { enumOf, parseInput } from '../../lib/validate.js';
import { findSubscriber, type Subscriber, type SubscriberState } from './subscribers.js';
import type { Endpoint } from './endpoints.js';

/** The admin's view of email subscribers: search, counts, removal; and the v1 API's list of every type. */

/** Text to find inside a LIKE pattern (ESCAPE '\\'): its own % and _ match only themselves. */
const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

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
      q: query.q ? escapeLike(query.q) : null,
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

/** Statuspage's subscriber types; Pharos holds email, webhook and Slack subscribers, never SMS or integration partners. */
export const STATUSPAGE_TYPES = ['email', 'sms', 'webhook', 'integration_partner', 'slack'] as const;
export type ListedType = 'email' | 'webhook' | 'slack';
const HELD: readonly string[] = ['email', 'webhook', 'slack'] satisfies ListedType[];

/** A whole number from the query string, in a range, named in the message when it is not. */
const wholeText = (min: number, max: number, fallback: number) =>
  z
    .string({ invalid_type_error: `A whole number from ${min} to ${max}` })
    .regex(/^\d{1,7}$/, `A whole number from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `A whole number from ${min} to ${max}`)
    .optional()
    .transform((n) => n ?? fallback);

/**
 * `GET …/subscribers`'s query, as Statuspage takes it: `type` (every type when absent), `state` (active
 * by default, or unconfirmed, quarantined, all), `q` (searches the email address and a webhook's
 * endpoint), `limit` (100 at most, the default), `page` (0-based), `sort_field` (primary: the address,
 * endpoint or channel; created_at; quarantined_at; relevance, with q only) and `sort_direction`.
 */
export const subscriberListQuery = z
  .object({
    type: enumOf(STATUSPAGE_TYPES, 'type').optional(),
    state: enumOf(['active', 'unconfirmed', 'quarantined', 'all'] as const, 'state').default('active'),
    q: z.string({ invalid_type_error: 'Search text, once' }).trim().max(200, 'At most 200 characters').optional(),
    limit: wholeText(1, 100, 100),
    page: wholeText(0, 1_000_000, 0),
    sort_field: enumOf(['primary', 'created_at', 'quarantined_at', 'relevance'] as const, 'sort_field').default('primary'),
    sort_direction: enumOf(['asc', 'desc'] as const, 'sort_direction').default('asc'),
  })
  .superRefine((v, check) => {
    if (v.sort_field === 'relevance' && !v.q) check.addIssue({ code: 'custom', path: ['sort_field'], message: 'relevance sorts the results of a search (q)' });
  });
export type SubscriberListQuery = z.input<typeof subscriberListQuery>;

export type Listed = { type: 'email'; row: Subscriber } | { type: 'webhook' | 'slack'; row: Endpoint };

/** Statuspage's states in Pharos's terms: an email subscriber's states, and an endpoint's condition. */
const EMAIL_STATES = { active: ['confirmed'], unconfirmed: ['pending'], quarantined: ['bounced'], all: ['confirmed', 'pending', 'bounced'] } as const;
const ENDPOINT_STATE = {
  active: "state = 'active' AND verified_at IS NOT NULL",
  unconfirmed: "state = 'active' AND verified_at IS NULL",
  quarantined: "state = 'disabled'",
  all: '1',
};

/**
 * The SELECTs whose union is the list, each with (type, id, key, created_at, quarantined_at), and its
 * relevance when sorted by it: one per email state (each read in its own index's order: migration
 * 015) and one per kind of endpoint. `quarantined`: only those quarantined (true) or only the others.
 */
function armsOf(query: z.output<typeof subscriberListQuery>, quarantined?: boolean): string[] {
  const types = (query.type ? [query.type] : HELD).filter((t): t is ListedType => HELD.includes(t) && !(t === 'slack' && query.q));
  const search = (...columns: string[]) => (query.q ? ` AND (${columns.map((c) => `${c} LIKE @like ESCAPE '\\'`).join(' OR ')})` : '');
  // The best match first: the whole address, then one starting with the text, then the rest.
  const relevance = (key: string) =>
    query.sort_field === 'relevance' ? `, CASE WHEN ${key} = @q COLLATE NOCASE THEN 0 WHEN ${key} LIKE @prefix ESCAPE '\\' THEN 1 ELSE 2 END AS relevance` : '';
  return types.flatMap((type) => {
    if (type === 'email') {
      return EMAIL_STATES[query.state]
        .filter((state) => quarantined === undefined || quarantined === (state === 'bounced'))
        .map(
          (state) =>
            `SELECT 'email' AS type, id, email AS key, created_at, ${state === 'bounced' ? 'updated_at' : 'NULL'} AS quarantined_at${relevance('email')}
               FROM subscribers WHERE state = '${state}'${search('email')}`,
        );
    }
    const key = type === 'webhook' ? 'url' : 'name';
    const held = quarantined === undefined ? '' : ` AND disabled_at IS ${quarantined ? 'NOT ' : ''}NULL`;
    return [
      `SELECT '${type}' AS type, id, ${key} AS key, created_at, disabled_at AS quarantined_at${relevance(key)}
         FROM endpoints WHERE kind = '${type}' AND ${ENDPOINT_STATE[query.state]}${held}${search('url', 'email')}`,
    ];
  });
}

/**
 * A page of subscribers for the v1 API, of every type Statuspage has and Pharos holds, Statuspage's
 * way. One compound query, ordered and cut by SQLite: each email state is an arm of its own, read in
 * the order of its index (migration 015) and merged with the others, so that a page costs the entries
 * it skips and returns, never a sort of every subscriber; a search (q) reads each index entry once at
 * most. Chat channels other than Slack have no Statuspage type and are not listed; a search leaves
 * Slack out, as Statuspage's does. Addresses are personal data: every read is audited, as the admin's
 * CSV export is. The query is taken as it came (strings, or lists of them) and checked here.
 */
export function listSubscribers(ctx: Deps<'clock' | 'db'>, actor: Actor, given: Partial<Record<keyof SubscriberListQuery, unknown>>): Listed[] {
  const query = parseInput(subscriberListQuery, given);
  const dir = query.sort_direction === 'desc' ? 'DESC' : 'ASC';
  const by = (...terms: string[]) => terms.map((t) => `${t} ${dir}`).join(', ');
  // Sorted by quarantine, the never quarantined come first (ascending) in their order of arrival, then
  // the quarantined: two segments, each in the order of its own indexes.
  const segments =
    query.sort_field === 'quarantined_at'
      ? [
          { arms: armsOf(query, false), order: by('created_at', 'id') },
          { arms: armsOf(query, true), order: by('quarantined_at', 'created_at', 'id') },
        ]
      : [
          {
            arms: armsOf(query),
            order: {
              primary: by('key COLLATE NOCASE', 'id'),
              created_at: by('created_at', 'id'),
              relevance: by('relevance', 'key COLLATE NOCASE', 'id'),
            }[query.sort_field],
          },
        ];
  if (dir === 'DESC') segments.reverse();
  const params = {
    ...(query.q ? { like: `%${escapeLike(query.q)}%` } : {}),
    ...(query.sort_field === 'relevance' ? { q: query.q, prefix: `${escapeLike(query.q ?? '')}%` } : {}),
  };
  return auditedWrite(ctx, { action: `subscribers.listed.${query.type ?? 'all'}`, actor }, () => {
    const page: { type: ListedType; id: string }[] = [];
    let offset = query.page * query.limit;
    for (const { arms, order } of segments) {
      if (!arms.length || page.length === query.limit) continue;
      const compound = arms.join(' UNION ALL ');
      const rows = ctx.db.prepare(`${compound} ORDER BY ${order} LIMIT @limit OFFSET @offset`).all({ ...params, limit: query.limit - page.length, offset }) as {
        type: ListedType;
        id: string;
      }[];
      page.push(...rows);
      // What this segment held before the page, skipped in the next: counted only when nothing of it was taken.
      offset = rows.length ? 0 : Math.max(0, offset - (ctx.db.prepare(`SELECT COUNT(*) FROM (${compound})`).pluck().get(params) as number));
    }
    const rows = page.map((r): Listed | undefined => {
      if (r.type === 'email') {
        const row = ctx.db.prepare('SELECT * FROM subscribers WHERE id = ?').get(r.id) as Subscriber | undefined;
        return row && { type: 'email', row };
      }
      const row = ctx.db.prepare('SELECT * FROM endpoints WHERE id = ?').get(r.id) as Endpoint | undefined;
      return row && { type: r.type, row };
    });
    const listed = rows.filter((r): r is Listed => r !== undefined);
    return { result: listed, subject: query.type ?? 'all', detail: { count: listed.length, page: query.page, limit: query.limit, state: query.state } };
  });
}
