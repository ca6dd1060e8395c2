import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Deps } from '../../context.js';
import type { Db } from '../../db/open.js';
import { Invalid, NotFound } from '../../errors.js';
import { newId } from '../../lib/ids.js';
import { enqueueOne, lastSignupMailDue } from './outbox.js';
import { confirmToken, manageToken, sameToken, tokenSubject } from './tokens.js';
import { flag, parseInput } from '../../lib/validate.js';

export const SUBSCRIBER_STATES = ['pending', 'confirmed', 'unsubscribed', 'bounced'] as const;
export type SubscriberState = (typeof SUBSCRIBER_STATES)[number];

export interface Subscriber {
  id: string;
  email: string;
  state: SubscriberState;
  all_components: number;
  token_version: number;
  confirm_nonce: string | null;
  confirm_expires_at: string | null;
  confirm_sent_at: string | null;
  bounce_count: number;
  source: 'form' | 'import';
  /** 'incidents': follows single incidents only ("Follow this incident"); 'page': its components, and what it follows. */
  scope: 'page' | 'incidents';
  created_at: string;
  confirmed_at: string | null;
  unsubscribed_at: string | null;
  updated_at: string;
}

export const CONFIRM_VALID_MS = 48 * 3_600_000;
/** At most one confirmation (or "already subscribed") email per address per 10 minutes. */
export const CONFIRM_RESEND_MS = 10 * 60_000;

export const emailAddress = z
  .string({ required_error: 'Enter an email address', invalid_type_error: 'Enter an email address' })
  .trim()
  .max(254, 'Use at most 254 characters')
  .email('Enter a valid email address')
  .transform((s) => s.toLowerCase());

const choice = z
  .object({
    all: flag.default(true),
    components: z
      .array(z.string().regex(/^[a-z0-9]{1,64}$/, 'No such component'))
      .max(500)
      .default([]),
  })
  .refine((c) => c.all || c.components.length > 0, { path: ['components'], message: 'Choose at least one component, or everything' });
export type ChoiceInput = z.input<typeof choice>;
export const subscribeInput = z.intersection(choice, z.object({ email: emailAddress }));
export type SubscribeInput = z.input<typeof subscribeInput>;

export function mailHost(publicUrl: string): string {
  return new URL(publicUrl).hostname || 'localhost';
}

export function findSubscriber(db: Db, id: string): Subscriber | undefined {
  return db.prepare('SELECT * FROM subscribers WHERE id = ?').get(id) as Subscriber | undefined;
}

/** The names of the incidents an address follows on their own ("Follow this incident"), in the order it followed them. */
export function followedIncidents(db: Db, id: string): string[] {
  return db
    .prepare('SELECT i.name FROM subscriber_incidents si JOIN incidents i ON i.id = si.incident_id WHERE si.subscriber_id = ? ORDER BY si.created_at')
    .pluck()
    .all(id) as string[];
}

export function subscriberComponents(db: Db, id: string): string[] {
  return db.prepare('SELECT component_id FROM subscriber_components WHERE subscriber_id = ?').pluck().all(id) as string[];
}

function checkComponents(db: Db, ids: string[]): void {
  const known = new Set(db.prepare('SELECT id FROM components').pluck().all() as string[]);
  if (ids.some((id) => !known.has(id))) throw new Invalid({ components: 'Choose components from the list' });
}

function setChoice(db: Db, id: string, all: boolean, components: string[]): void {
  db.prepare('UPDATE subscribers SET all_components = ? WHERE id = ?').run(all || components.length === 0 ? 1 : 0, id);
  db.prepare('DELETE FROM subscriber_components WHERE subscriber_id = ?').run(id);
  if (!all) {
    const add = db.prepare('INSERT OR IGNORE INTO subscriber_components (subscriber_id, component_id) VALUES (?, ?)');
    for (const c of components) add.run(id, c);
  }
}

export function queueConfirmation(ctx: Deps<'config' | 'db'>, sub: { id: string; email: string }, now: Date, dueAt = now.getTime()): void {
  const nonce = randomBytes(12).toString('base64url');
  ctx.db
    .prepare('UPDATE subscribers SET confirm_nonce = ?, confirm_expires_at = ?, confirm_sent_at = ?, updated_at = ? WHERE id = ?')
    .run(nonce, new Date(now.getTime() + CONFIRM_VALID_MS).toISOString(), now.toISOString(), now.toISOString(), sub.id);
  enqueueOne(
    ctx.db,
    {
      source: `confirm:${sub.id}:${nonce}`,
      recipient: sub.email,
      subscriberId: sub.id,
      kind: 'confirmation',
      subjectId: nonce,
      messageId: `<confirm.${sub.id}.${nonce}@${mailHost(ctx.config.publicUrl)}>`,
    },
    now,
    dueAt,
  );
}

export interface Subscribed {
  /** Whether a message was queued (a new confirmation, or an "already subscribed" note). */
  queued: boolean;
  /** When that message is due (epoch ms). */
  dueAt: number;
}

/**
 * Subscribes an address. The caller answers the same whatever happens here, so nobody learns who is
 * subscribed: a new or lapsed address gets a confirmation link, a confirmed one a note with its manage
 * link, each at most once per 10 minutes; a confirmed subscriber's choices change only through their link.
 * With `spacingMs` (sign-ups are being slowed down), the message is due that long after the last one
 * waiting, so that sign-up mail goes out at a bounded rate however many arrive.
 * With `follow` (an incident's "Follow this incident"), the address follows that incident: a new or
 * lapsed one for it alone, once confirmed; a subscriber gets it besides what its components bring.
 */
export function subscribe(ctx: Deps<'bus' | 'clock' | 'config' | 'db'>, given: SubscribeInput, opts: { spacingMs?: number; follow?: string } = {}): Subscribed {
  const input = parseInput(subscribeInput, given);
  const now = ctx.clock.now();
  const at = now.toISOString();
  const result = ctx.db
    .transaction((): Subscribed => {
      checkComponents(ctx.db, input.components);
      const dueAt = opts.spacingMs ? Math.max(now.getTime(), lastSignupMailDue(ctx.db) + opts.spacingMs) : now.getTime();
      const none = { queued: false, dueAt: now.getTime() };
      const existing = ctx.db.prepare('SELECT * FROM subscribers WHERE email = ?').get(input.email) as Subscriber | undefined;
      const recentlyMailed = existing?.confirm_sent_at && now.getTime() - Date.parse(existing.confirm_sent_at) < CONFIRM_RESEND_MS;
      if (opts.follow && !ctx.db.prepare('SELECT 1 FROM incidents WHERE id = ?').get(opts.follow)) throw new NotFound('No such incident');
      const follow = (id: string) => {
        if (opts.follow)
          ctx.db.prepare('INSERT OR IGNORE INTO subscriber_incidents (subscriber_id, incident_id, created_at) VALUES (?, ?, ?)').run(id, opts.follow, at);
      };
      if (!existing) {
        const id = newId();
        ctx.db
          .prepare("INSERT INTO subscribers (id, email, state, scope, created_at, updated_at) VALUES (?, ?, 'pending', ?, ?, ?)")
          .run(id, input.email, opts.follow ? 'incidents' : 'page', at, at);
        follow(id);
        setChoice(ctx.db, id, input.all, input.components);
        queueConfirmation(ctx, { id, email: input.email }, now, dueAt);
        return { queued: true, dueAt };
      }
      if (existing.state === 'confirmed') {
        if (recentlyMailed) return none;
        ctx.db.prepare('UPDATE subscribers SET confirm_sent_at = ? WHERE id = ?').run(at, existing.id);
        enqueueOne(
          ctx.db,
          {
            source: `already:${existing.id}:${now.getTime()}`,
            recipient: existing.email,
            subscriberId: existing.id,
            kind: 'already_subscribed',
            subjectId: existing.id,
            messageId: `<already.${existing.id}.${now.getTime()}@${mailHost(ctx.config.publicUrl)}>`,
          },
          now,
          dueAt,
        );
        return { queued: true, dueAt };
      }
      // Not confirmed yet: what it follows waits for the confirmation like the rest (a confirmed address's
      // choices change only through its own links, so following is not added to it above).
      follow(existing.id);
      // A pending address mailed a moment ago: nothing more to do (no mail, so the answer takes the same time).
      const linkLive = existing.confirm_nonce && existing.confirm_expires_at && Date.parse(existing.confirm_expires_at) > now.getTime();
      if (existing.state === 'pending' && recentlyMailed && linkLive) return none;
      // Pending, unsubscribed or bounced: (back) to pending, confirmation required. Following keeps a pending
      // address's choice of components; a lapsed address that follows an incident follows it alone.
      if (!opts.follow) setChoice(ctx.db, existing.id, input.all, input.components);
      const scope = !opts.follow ? 'page' : existing.state === 'pending' ? existing.scope : 'incidents';
      ctx.db.prepare("UPDATE subscribers SET state = 'pending', scope = ?, updated_at = ? WHERE id = ?").run(scope, at, existing.id);
      queueConfirmation(ctx, existing, now, dueAt);
      return { queued: true, dueAt };
    })
    .immediate();
  if (result.queued) ctx.bus.emit('mail.queued');
  return result;
}

/**
 * What a confirmation link stands for: 'pending' (it may confirm), 'confirmed' (it did already: a
 * second click), or undefined (unknown, forged, superseded, expired, or dead after an unsubscribe).
 */
export function confirmationOf(ctx: Deps<'clock' | 'db' | 'secret'>, token: string): { sub: Subscriber; state: 'pending' | 'confirmed' } | undefined {
  const id = tokenSubject(token);
  const sub = id ? findSubscriber(ctx.db, id) : undefined;
  if (!sub?.confirm_nonce || !sameToken(token, confirmToken(ctx.secret, sub.id, sub.confirm_nonce))) return undefined;
  if (sub.state === 'confirmed') return { sub, state: 'confirmed' };
  if (sub.state !== 'pending' || !sub.confirm_expires_at || ctx.clock.now().getTime() > Date.parse(sub.confirm_expires_at)) return undefined;
  return { sub, state: 'pending' };
}

/**
 * Confirms through a link valid 48 hours, on a POST (mail scanners follow links with GET). The nonce
 * is kept once confirmed, so a second click says "already confirmed"; an unsubscribe clears it.
 */
export function confirmSubscription(ctx: Deps<'clock' | 'db' | 'secret'>, token: string): { sub: Subscriber; state: 'confirmed' | 'already' } | undefined {
  const found = confirmationOf(ctx, token);
  if (!found) return undefined;
  if (found.state === 'confirmed') return { sub: found.sub, state: 'already' };
  const now = ctx.clock.now().toISOString();
  // Only a pending address with this very link: an unsubscribe in between does nothing.
  const changed = ctx.db
    .prepare(
      `UPDATE subscribers SET state = 'confirmed', confirm_expires_at = NULL, bounce_count = 0,
         confirmed_at = ?, unsubscribed_at = NULL, updated_at = ? WHERE id = ? AND state = 'pending' AND confirm_nonce = ?`,
    )
    .run(now, now, found.sub.id, found.sub.confirm_nonce).changes;
  const sub = findSubscriber(ctx.db, found.sub.id);
  if (!sub) return undefined;
  return { sub, state: changed ? 'confirmed' : 'already' };
}

/** Manage and unsubscribe links of earlier versions still recognised as ours (to say they expired). */
const STALE_VERSIONS_CHECKED = 50;

/**
 * The subscriber a manage/unsubscribe token belongs to: 'current', or 'stale' when the token was
 * valid once (an unsubscribe since has revoked every link sent before); undefined when it never was.
 */
export function linkOf(ctx: Deps<'db' | 'secret'>, token: string): { sub: Subscriber; state: 'current' | 'stale' } | undefined {
  const id = tokenSubject(token);
  const sub = id ? findSubscriber(ctx.db, id) : undefined;
  if (!sub) return undefined;
  if (sameToken(token, manageToken(ctx.secret, sub))) return { sub, state: 'current' };
  for (let v = sub.token_version - 1; v >= Math.max(1, sub.token_version - STALE_VERSIONS_CHECKED); v--) {
    if (sameToken(token, manageToken(ctx.secret, { id: sub.id, token_version: v }))) return { sub, state: 'stale' };
  }
  return undefined;
}

export function updateChoice(ctx: Deps<'clock' | 'db'>, sub: Subscriber, given: ChoiceInput): void {
  const input = parseInput(choice, given);
  ctx.db
    .transaction(() => {
      checkComponents(ctx.db, input.components);
      setChoice(ctx.db, sub.id, input.all, input.components);
      // Choosing components makes a follower of single incidents a subscriber of the page.
      ctx.db.prepare("UPDATE subscribers SET scope = 'page', updated_at = ? WHERE id = ?").run(ctx.clock.now().toISOString(), sub.id);
    })
    .immediate();
}

/**
 * Unsubscribes, and revokes every link sent so far (manage, unsubscribe, confirmation): a link in an old
 * mail, forwarded or leaked, can no longer change anything. Subscribing again sends new links.
 */
export function unsubscribe(ctx: Deps<'clock' | 'db'>, sub: Subscriber): void {
  const at = ctx.clock.now().toISOString();
  ctx.db
    .prepare(
      `UPDATE subscribers SET state = 'unsubscribed', unsubscribed_at = COALESCE(unsubscribed_at, ?), confirm_nonce = NULL,
         confirm_expires_at = NULL, token_version = token_version + 1, updated_at = ? WHERE id = ?`,
    )
    .run(at, at, sub.id);
  ctx.db.prepare('DELETE FROM subscriber_incidents WHERE subscriber_id = ?').run(sub.id);
}
