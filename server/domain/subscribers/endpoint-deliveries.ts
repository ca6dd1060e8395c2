import { randomBytes } from 'node:crypto';
import type { Db } from '../../db/open.js';
import type { Endpoint } from './endpoints.js';

/**
 * The outbox rows for endpoints (webhooks and chat channels), written in the transaction of their cause
 * like every mail: one INSERT … SELECT per change, however many endpoints. The recipient is the
 * endpoint's id; the message id is the X-Pharos-Delivery a receiver de-duplicates by.
 */

const COLUMNS = `(source, recipient, subscriber_id, channel, endpoint_id, kind, subject_id, thread_id, message_id, state, attempts,
  next_attempt_at, created_at, updated_at)`;

/** Endpoints that asked for any component the incident affects (or all; everyone when it names none). */
const MATCHES_INCIDENT = `(e.all_components = 1
  OR NOT EXISTS (SELECT 1 FROM incident_components WHERE incident_id = @incident)
  OR EXISTS (SELECT 1 FROM endpoint_components ec JOIN incident_components ic ON ic.component_id = ec.component_id
             WHERE ec.endpoint_id = e.id AND ic.incident_id = @incident))`;

const channelOf = `CASE e.kind WHEN 'webhook' THEN 'webhook' ELSE 'chat' END`;
const wants = (topic: string) => `EXISTS (SELECT 1 FROM json_each(e.topics) WHERE value = '${topic}')`;

/** An update of an incident or maintenance window (or a window's reminder), to every endpoint that asked for it. */
export function enqueueEndpointsForIncident(
  db: Db,
  m: { source: string; kind: 'incident_update' | 'maintenance_reminder'; subjectId: string; incidentId: string; incidentKind: 'incident' | 'maintenance' },
  now: Date,
): number {
  const at = now.toISOString();
  const topic = m.incidentKind === 'maintenance' ? 'maintenance' : 'incidents';
  return db
    .prepare(
      `INSERT OR IGNORE INTO deliveries ${COLUMNS}
       SELECT @source, e.id, NULL, ${channelOf}, e.id, @kind, @subject, @incident, lower(hex(randomblob(16))), 'queued', 0, @due, @at, @at
       FROM endpoints e WHERE e.state = 'active' AND e.verified_at IS NOT NULL AND ${wants(topic)} AND ${MATCHES_INCIDENT}`,
    )
    .run({ source: m.source, kind: m.kind, subject: m.subjectId, incident: m.incidentId, due: now.getTime(), at }).changes;
}

/** A component's status changed (its status log row `logId`): every webhook that follows it gets a component_update. */
export function enqueueComponentUpdate(db: Db, c: { logId: number; componentId: string }, now: Date): number {
  const at = now.toISOString();
  return db
    .prepare(
      `INSERT OR IGNORE INTO deliveries ${COLUMNS}
       SELECT 'component:' || @log, e.id, NULL, 'webhook', e.id, 'component_update', @log, @component, lower(hex(randomblob(16))), 'queued', 0, @due, @at, @at
       FROM endpoints e WHERE e.kind = 'webhook' AND e.state = 'active' AND e.verified_at IS NOT NULL
         AND (e.all_components = 1 OR EXISTS (SELECT 1 FROM endpoint_components ec WHERE ec.endpoint_id = e.id AND ec.component_id = @component))`,
    )
    .run({ log: String(c.logId), component: c.componentId, due: now.getTime(), at }).changes;
}

/** The chat channels that asked for notices (webhooks have no shape for them in Statuspage's API). */
const NOTICE_CHANNELS = `FROM endpoints e WHERE e.kind <> 'webhook' AND e.state = 'active' AND e.verified_at IS NOT NULL AND ${wants('notices')}`;

/** How many chat channels a notice published now would be posted to (its preview says so). */
export function countNoticeChannels(db: Db): number {
  return db.prepare(`SELECT COUNT(*) ${NOTICE_CHANNELS}`).pluck().get() as number;
}

/** An official notice, to the chat channels that asked for notices. */
export function enqueueEndpointsForCommunication(db: Db, communication: { id: string; seriesId: string }, now: Date): number {
  const at = now.toISOString();
  return db
    .prepare(
      `INSERT OR IGNORE INTO deliveries ${COLUMNS}
       SELECT 'communication:' || @id, e.id, NULL, 'chat', e.id, 'communication', @id, @series, lower(hex(randomblob(16))), 'queued', 0, @due, @at, @at
       ${NOTICE_CHANNELS}`,
    )
    .run({ id: communication.id, series: communication.seriesId, due: now.getTime(), at }).changes;
}

/** The admin's "Send a test message": one row, through the outbox like any other. */
export function enqueueEndpointTest(db: Db, endpoint: Endpoint, now: Date): void {
  const at = now.toISOString();
  db.prepare(
    `INSERT INTO deliveries ${COLUMNS} VALUES (@source, @id, NULL, @channel, @id, 'endpoint_test', @id, NULL, lower(hex(randomblob(16))), 'queued', 0, @due, @at, @at)`,
  ).run({
    source: `test:${endpoint.id}:${now.getTime()}:${randomBytes(4).toString('hex')}`,
    id: endpoint.id,
    channel: endpoint.kind === 'webhook' ? 'webhook' : 'chat',
    due: now.getTime(),
    at,
  });
}

/** A delivery to an endpoint is retried this long; an endpoint that fails this long is disabled. */
export const RETRY_FOR_MS = 24 * 3_600_000;
/** Failures further apart than this (more than the longest backoff, an hour) are not one streak. */
const STREAK_GAP_MS = 2 * 3_600_000;

/**
 * What a delivery's answer says of its endpoint: a success clears its failing streak; a failure starts
 * one or goes on with it (a failure after a quiet gap starts a new one), and an endpoint that has failed
 * for 24 h is disabled and what is queued for it dropped. An endpoint an admin or an API key added has
 * its `email` told once; a public webhook's email was never confirmed, so nobody is mailed for it, and
 * the reason never quotes the receiver's answer. Returns whether the endpoint is disabled now.
 */
export function recordEndpointResult(db: Db, endpointId: string, ok: boolean, error: string, host: string, now: Date): boolean {
  const at = now.toISOString();
  if (ok) {
    db.prepare('UPDATE endpoints SET failing_since = NULL, last_failed_at = NULL WHERE id = ? AND failing_since IS NOT NULL').run(endpointId);
    return false;
  }
  return db
    .transaction(() => {
      db.prepare(
        `UPDATE endpoints SET failing_since = CASE WHEN failing_since IS NULL OR last_failed_at IS NULL OR last_failed_at < @gap THEN @at ELSE failing_since END,
           last_failed_at = @at, updated_at = @at WHERE id = @id`,
      ).run({ at, gap: new Date(now.getTime() - STREAK_GAP_MS).toISOString(), id: endpointId });
      const e = db.prepare('SELECT * FROM endpoints WHERE id = ?').get(endpointId) as Endpoint | undefined;
      if (!e) return true;
      if (e.state === 'disabled') return true;
      if (!e.failing_since || now.getTime() - Date.parse(e.failing_since) < RETRY_FOR_MS) return false;
      const reason = `Every delivery failed for 24 hours (last: ${/^HTTP \d{3}/.exec(error)?.[0] ?? error.slice(0, 120)})`;
      db.prepare("UPDATE endpoints SET state = 'disabled', disabled_at = ?, disabled_reason = ?, updated_at = ? WHERE id = ?").run(at, reason, at, endpointId);
      db.prepare(
        "UPDATE deliveries SET state = 'failed', last_error = 'The endpoint was disabled', lease_until = NULL, updated_at = ? WHERE endpoint_id = ? AND state = 'queued'",
      ).run(at, endpointId);
      if (e.email && e.created_by !== 'public') {
        db.prepare(
          `INSERT OR IGNORE INTO deliveries ${COLUMNS}
           VALUES (@source, @email, NULL, 'email', @id, 'endpoint_disabled', @id, NULL, @message, 'queued', 0, @due, @at, @at)`,
        ).run({
          source: `disabled:${endpointId}:${now.getTime()}`,
          email: e.email,
          id: endpointId,
          message: `<webhook.${endpointId}.${now.getTime()}@${host}>`,
          due: now.getTime(),
          at,
        });
      }
      return true;
    })
    .immediate();
}

/**
 * Has this endpoint already been sent a later update of the incident? Then an older one still being
 * retried is superseded: sent now, it would take a receiver that keeps the latest message back in time.
 */
export function supersededUpdate(db: Db, endpointId: string, incidentId: string, updateId: string): boolean {
  return (
    db
      .prepare(
        `SELECT 1 FROM deliveries d JOIN incident_updates later ON later.id = d.subject_id
         JOIN incident_updates this ON this.id = @update
         WHERE d.endpoint_id = @endpoint AND d.thread_id = @incident AND d.kind = 'incident_update' AND d.state = 'sent'
           AND later.created_at > this.created_at LIMIT 1`,
      )
      .get({ endpoint: endpointId, incident: incidentId, update: updateId }) !== undefined
  );
}
