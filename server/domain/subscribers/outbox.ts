import type { Deps } from '../../context.js';
import type { Db } from '../../db/open.js';
import type { Actor } from '../access/actors.js';
import { auditedWrite } from '../write-path.js';

/**
 * The delivery outbox: rows are written in the transaction that causes them and sent by the worker of
 * their channel (server/outbox/: mail/worker.ts for email, hooks/worker.ts for webhooks and chat).
 */

export type Channel = 'email' | 'webhook' | 'chat';
export type DeliveryKind =
  | 'confirmation'
  | 'already_subscribed'
  | 'incident_update'
  | 'communication'
  | 'maintenance_reminder'
  | 'admin_alert'
  | 'component_update'
  | 'endpoint_test'
  | 'endpoint_disabled';
export type DeliveryState = 'queued' | 'sending' | 'sent' | 'failed' | 'dead';

export interface Delivery {
  id: number;
  source: string;
  recipient: string;
  subscriber_id: string | null;
  channel: Channel;
  /** The webhook or chat channel (endpoints table) for those channels. */
  endpoint_id: string | null;
  kind: DeliveryKind;
  subject_id: string;
  thread_id: string | null;
  message_id: string;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: number;
  lease_until: number | null;
  last_error: string | null;
  smtp_response: string | null;
  created_at: string;
  sent_at: string | null;
  updated_at: string;
}

export interface DeliveryStats {
  total: number;
  queued: number;
  sending: number;
  sent: number;
  failed: number;
  dead: number;
  /** Queued after at least one failed attempt. */
  retrying: number;
}

const INSERT_COLUMNS = `(source, recipient, subscriber_id, kind, subject_id, thread_id, message_id, state, attempts,
  next_attempt_at, created_at, updated_at)`;

/** Queues one message (due at once, or at `dueAt`); a second call with the same source and recipient is a no-op. */
export function enqueueOne(
  db: Db,
  d: { source: string; recipient: string; subscriberId: string; kind: DeliveryKind; subjectId: string; messageId: string; threadId?: string },
  now: Date,
  dueAt = now.getTime(),
): void {
  const at = now.toISOString();
  db.prepare(`INSERT OR IGNORE INTO deliveries ${INSERT_COLUMNS} VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?)`).run(
    d.source,
    d.recipient,
    d.subscriberId,
    d.kind,
    d.subjectId,
    d.threadId ?? null,
    d.messageId,
    dueAt,
    at,
    at,
  );
}

/** Public sign-up mail (confirmations, "already subscribed" notes) not tried yet: what the gate paces. Retries keep their own times. */
const SIGNUP_MAIL = "state = 'queued' AND attempts = 0 AND kind IN ('confirmation', 'already_subscribed')";

/** Sign-up mail held back by the gate's pacing (due more than a minute from now): how much, and until when. */
export function pacedSignupMail(db: Db, now: Date): { waiting: number; lastDue: number } | undefined {
  const row = db
    .prepare(`SELECT COUNT(*) AS waiting, MAX(next_attempt_at) AS lastDue FROM deliveries WHERE ${SIGNUP_MAIL} AND next_attempt_at > ?`)
    .get(now.getTime() + 60_000) as { waiting: number; lastDue: number | null };
  return row.waiting && row.lastDue ? { waiting: row.waiting, lastDue: row.lastDue } : undefined;
}

/** The latest time sign-up mail not tried yet is due; 0 when none waits. The next paced one comes after it. */
export function lastSignupMailDue(db: Db): number {
  return (db.prepare(`SELECT COALESCE(MAX(next_attempt_at), 0) FROM deliveries WHERE ${SIGNUP_MAIL}`).pluck().get() as number) ?? 0;
}

/**
 * Queues a message about an incident or maintenance for every confirmed subscriber who asked for it:
 * subscribers to all components, or to any component it affects (everyone when it names no component).
 * One INSERT … SELECT, so 10,000 recipients take one statement inside the caller's transaction.
 */
export function enqueueForIncident(
  db: Db,
  m: { source: string; kind: 'incident_update' | 'maintenance_reminder'; subjectId: string; incidentId: string; idPrefix: string },
  host: string,
  now: Date,
): number {
  const at = now.toISOString();
  return db
    .prepare(
      `INSERT OR IGNORE INTO deliveries ${INSERT_COLUMNS}
       SELECT @source, s.email, s.id, @kind, @subject, @incident,
              '<' || @prefix || '.' || s.id || '@' || @host || '>', 'queued', 0, @due, @at, @at
       FROM subscribers s
       WHERE s.state = 'confirmed' AND ((s.scope = 'page' AND (
         s.all_components = 1
         OR NOT EXISTS (SELECT 1 FROM incident_components WHERE incident_id = @incident)
         OR EXISTS (SELECT 1 FROM subscriber_components sc JOIN incident_components ic ON ic.component_id = sc.component_id
                    WHERE sc.subscriber_id = s.id AND ic.incident_id = @incident)))
         OR EXISTS (SELECT 1 FROM subscriber_incidents si WHERE si.subscriber_id = s.id AND si.incident_id = @incident))`,
    )
    .run({ source: m.source, kind: m.kind, subject: m.subjectId, incident: m.incidentId, prefix: m.idPrefix, host, due: now.getTime(), at }).changes;
}

export function enqueueIncidentUpdate(db: Db, update: { id: string; incidentId: string }, host: string, now: Date): number {
  return enqueueForIncident(
    db,
    { source: `update:${update.id}`, kind: 'incident_update', subjectId: update.id, incidentId: update.incidentId, idPrefix: `update.${update.id}` },
    host,
    now,
  );
}

/** Official communications go to every confirmed subscriber of the page, whatever components they chose (not to followers of one incident). */
/** Who an official notice is mailed to: every confirmed subscriber of the page, whatever components they chose. */
const NOTICE_READERS = `FROM subscribers s WHERE s.state = 'confirmed' AND s.scope = 'page'`;

/** How many a notice published now would be mailed to (its preview says so). */
export function countNoticeReaders(db: Db): number {
  return db.prepare(`SELECT COUNT(*) ${NOTICE_READERS}`).pluck().get() as number;
}

export function enqueueCommunication(db: Db, communication: { id: string; seriesId: string }, host: string, now: Date): number {
  const at = now.toISOString();
  return db
    .prepare(
      `INSERT OR IGNORE INTO deliveries ${INSERT_COLUMNS}
       SELECT 'communication:' || @id, s.email, s.id, 'communication', @id, @series,
              '<notice.' || @id || '.' || s.id || '@' || @host || '>', 'queued', 0, @due, @at, @at
       ${NOTICE_READERS}`,
    )
    .run({ id: communication.id, series: communication.seriesId, host, due: now.getTime(), at }).changes;
}

/**
 * Takes up to `limit` due rows: queued ones whose time has come, and "sending" ones whose lease ran out
 * (their process died mid-send). Each taken row counts an attempt and holds a lease until `leaseMs` from now.
 */
export function leaseDue(db: Db, channels: Channel[], nowMs: number, limit: number, leaseMs: number): Delivery[] {
  return db
    .prepare(
      `UPDATE deliveries SET state = 'sending', lease_until = @lease, attempts = attempts + 1
       WHERE id IN (
         SELECT id FROM deliveries WHERE channel IN (SELECT value FROM json_each(@channels)) AND state = 'queued' AND next_attempt_at <= @now
         UNION ALL
         SELECT id FROM deliveries WHERE channel IN (SELECT value FROM json_each(@channels)) AND state = 'sending' AND lease_until < @now
         ORDER BY id LIMIT @limit)
       RETURNING *`,
    )
    .all({ channels: JSON.stringify(channels), now: nowMs, lease: nowMs + leaseMs, limit }) as Delivery[];
}

/**
 * When a row of these channels next comes due (ms), or undefined when none waits: the earliest retry
 * time of a queued row, or just past the earliest lease to run out (leaseDue takes a lease strictly
 * after its end). One MIN per channel and state, each read from the end of its index
 * (deliveries_due, deliveries_lease: channel, state, time), so it costs the same with a million rows.
 */
export function nextDue(db: Db, channels: Channel[]): number | undefined {
  const queued = db.prepare("SELECT MIN(next_attempt_at) FROM deliveries WHERE channel = ? AND state = 'queued'").pluck();
  const leased = db.prepare("SELECT MIN(lease_until) FROM deliveries WHERE channel = ? AND state = 'sending'").pluck();
  let next: number | undefined;
  for (const channel of channels) {
    const due = queued.get(channel) as number | null;
    const lease = leased.get(channel) as number | null;
    for (const at of [due, lease === null ? null : lease + 1]) if (at !== null && (next === undefined || at < next)) next = at;
  }
  return next;
}

export type Outcome =
  | { id: number; result: 'sent'; response: string }
  | { id: number; result: 'retry'; error: string; nextAttemptAt: number }
  | { id: number; result: 'failed'; error: string; response?: string; bouncedSubscriber?: string }
  | { id: number; result: 'dead'; error: string }
  | { id: number; result: 'release' };

/** Records the outcome of several sends in one transaction. */
export function recordOutcomes(db: Db, outcomes: Outcome[], now: Date): void {
  const at = now.toISOString();
  const sent = db.prepare(
    "UPDATE deliveries SET state = 'sent', lease_until = NULL, smtp_response = ?, last_error = NULL, sent_at = ?, updated_at = ? WHERE id = ?",
  );
  const retry = db.prepare("UPDATE deliveries SET state = 'queued', lease_until = NULL, last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?");
  const failed = db.prepare('UPDATE deliveries SET state = ?, lease_until = NULL, last_error = ?, smtp_response = ?, updated_at = ? WHERE id = ?');
  // A release gives back a lease without counting the attempt (shutdown, or SMTP found down before sending).
  const release = db.prepare(
    "UPDATE deliveries SET state = 'queued', lease_until = NULL, attempts = MAX(attempts - 1, 0), updated_at = ? WHERE id = ? AND state = 'sending'",
  );
  // The third permanent failure marks the address bounced: it is no longer mailed.
  const bounce = db.prepare(
    `UPDATE subscribers SET bounce_count = bounce_count + 1,
       state = CASE WHEN bounce_count + 1 >= 3 AND state = 'confirmed' THEN 'bounced' ELSE state END, updated_at = ?
     WHERE id = ?`,
  );
  db.transaction(() => {
    for (const o of outcomes) {
      if (o.result === 'sent') sent.run(o.response, at, at, o.id);
      else if (o.result === 'retry') retry.run(o.error, o.nextAttemptAt, at, o.id);
      else if (o.result === 'failed') {
        failed.run('failed', o.error, o.response ?? null, at, o.id);
        if (o.bouncedSubscriber) bounce.run(at, o.bouncedSubscriber);
      } else if (o.result === 'dead') failed.run('dead', o.error, null, at, o.id);
      else release.run(at, o.id);
    }
  }).immediate();
}

const STATS_SQL = `SELECT COUNT(*) AS total,
  COALESCE(SUM(state = 'queued'), 0) AS queued, COALESCE(SUM(state = 'sending'), 0) AS sending,
  COALESCE(SUM(state = 'sent'), 0) AS sent, COALESCE(SUM(state = 'failed'), 0) AS failed,
  COALESCE(SUM(state = 'dead'), 0) AS dead, COALESCE(SUM(state = 'queued' AND attempts > 0), 0) AS retrying
  FROM deliveries`;

export function sourceStats(db: Db, source: string): DeliveryStats {
  return db.prepare(`${STATS_SQL} WHERE source = ?`).get(source) as DeliveryStats;
}

/** Mail not delivered yet, for the dashboard: waiting, being sent, being retried, given up on. */
export function mailInFlight(db: Db): { queued: number; sending: number; retrying: number; dead: number } {
  return db
    .prepare(
      `SELECT COALESCE(SUM(state = 'queued'), 0) AS queued, COALESCE(SUM(state = 'sending'), 0) AS sending,
         COALESCE(SUM(state = 'queued' AND attempts > 0), 0) AS retrying, COALESCE(SUM(state = 'dead'), 0) AS dead
       FROM deliveries WHERE channel = 'email' AND state IN ('queued', 'sending', 'dead')`,
    )
    .get() as { queued: number; sending: number; retrying: number; dead: number };
}

export function allStats(db: Db): DeliveryStats {
  return db.prepare(STATS_SQL).get() as DeliveryStats;
}

export function listDeliveries(db: Db, filter: { source?: string; state?: DeliveryState; endpoint?: string }, limit = 200, offset = 0): Delivery[] {
  return db
    .prepare(
      `SELECT * FROM deliveries WHERE (@source IS NULL OR source = @source) AND (@state IS NULL OR state = @state)
         AND (@endpoint IS NULL OR endpoint_id = @endpoint)
       ORDER BY id DESC LIMIT @limit OFFSET @offset`,
    )
    .all({ source: filter.source ?? null, state: filter.state ?? null, endpoint: filter.endpoint ?? null, limit, offset }) as Delivery[];
}

/** At start: rows of these channels a previous process left "sending" (it died mid-send) are due again at once. */
export function recoverAbandoned(db: Db, channels: Channel[]): number {
  return db
    .prepare("UPDATE deliveries SET state = 'queued', lease_until = NULL WHERE state = 'sending' AND channel IN (SELECT value FROM json_each(?))")
    .run(JSON.stringify(channels)).changes;
}

/** Gives dead-lettered messages another round of attempts (from the admin's retry button). */
/** Dead letters queued again (one, or all), audited; the worker is told. */
export function retryDead(ctx: Deps<'db' | 'clock' | 'bus'>, actor: Actor, ids: number[] | 'all'): number {
  const now = ctx.clock.now();
  const at = now.toISOString();
  const sql = `UPDATE deliveries SET state = 'queued', attempts = 0, next_attempt_at = ?, created_at = ?, updated_at = ?
               WHERE state = 'dead'`;
  const count = auditedWrite(ctx, { action: 'mail.dead_letters_retried', actor }, () => {
    const n =
      ids === 'all'
        ? ctx.db.prepare(sql).run(now.getTime(), at, at).changes
        : ctx.db.prepare(`${sql} AND id IN (SELECT value FROM json_each(?))`).run(now.getTime(), at, at, JSON.stringify(ids)).changes;
    return { result: n, subject: ids === 'all' ? 'all' : ids.join(','), detail: { count: n } };
  });
  ctx.bus.emit('mail.queued');
  return count;
}
