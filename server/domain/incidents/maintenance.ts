import type { Deps } from '../../context.js';
import type { Db } from '../../db/open.js';
import { Invalid, NotFound } from '../../errors.js';
import type { Actor } from '../access/actors.js';
import { commitChange } from '../write-path.js';
import { findComponent } from '../page/components.js';
import { newId } from '../../lib/ids.js';
import { addUpdate, affectedIds, checkComponents, heldElsewhere } from './writes.js';
import { getIncident, type Incident } from './queries.js';
import { maintenanceInput, maintenancePatchInput, type MaintenancePatch, type NewMaintenance } from './schemas.js';
import { enqueueForIncident } from '../subscribers/outbox.js';
import { enqueueEndpointsForIncident } from '../subscribers/endpoint-deliveries.js';
import type { ComponentStatus } from '../page/status.js';
import { mailHost } from '../subscribers/subscribers.js';
import { parseInput } from '../../lib/validate.js';
import { formatDateTime } from '../../lib/time.js';
import { pageZone } from '../page/time-zone.js';

const ENDED = 'This window has already ended: the end must be in the future';

export function getMaintenance(db: Db, id: string): Incident {
  const m = getIncident(db, id);
  if (m.kind !== 'maintenance') throw new NotFound('No such maintenance window');
  return m;
}

/**
 * Schedules a window: its components, message and options; subscribers are told now unless asked not to.
 * A window that has already ended is refused; one that has begun starts in progress (one update, not
 * "Scheduled" then "In progress" a minute later).
 */
export function scheduleMaintenance(ctx: Deps<'bus' | 'clock' | 'config' | 'db'>, actor: Actor, given: NewMaintenance): Incident {
  const input = parseInput(maintenanceInput, given);
  const nowMs = ctx.clock.now().getTime();
  if (Date.parse(input.scheduled_until) <= nowMs) throw new Invalid({ scheduled_until: ENDED });
  const begun = Date.parse(input.scheduled_for) <= nowMs;
  return commitChange(ctx, { cause: 'maintenance.scheduled', actor }, () => {
    const ids = [...new Set([...input.component_ids, ...Object.keys(input.components)])];
    checkComponents(ctx.db, ids, () => `component_ids`);
    const now = ctx.clock.now().toISOString();
    const id = newId();
    ctx.db
      .prepare(
        `INSERT INTO incidents (id, kind, name, status, impact, started_at, created_at, updated_at, scheduled_for, scheduled_until,
           scheduled_remind_prior, scheduled_auto_in_progress, scheduled_auto_completed, notify_on_start, notify_on_completion)
         VALUES (?, 'maintenance', ?, 'scheduled', 'maintenance', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        input.name,
        input.scheduled_for,
        now,
        now,
        input.scheduled_for,
        input.scheduled_until,
        input.scheduled_remind_prior,
        input.scheduled_auto_in_progress ? 1 : 0,
        input.scheduled_auto_completed ? 1 : 0,
        input.auto_transition_deliver_notifications_at_start ? 1 : 0,
        input.auto_transition_deliver_notifications_at_end ? 1 : 0,
      );
    const link = ctx.db.prepare('INSERT OR IGNORE INTO incident_components (incident_id, component_id) VALUES (?, ?)');
    for (const c of ids) link.run(id, c);
    const changes = begun ? enterWindow(ctx, id, now) : new Map<string, ComponentStatus>();
    addUpdate(ctx, actor, id, { status: begun ? 'in_progress' : 'scheduled', body: input.body, deliver_notifications: input.deliver_notifications, changes });
    skipLateReminder(ctx.db, id, now);
    return { result: getIncident(ctx.db, id), ids: [id] };
  });
}

/**
 * A window scheduled (or moved) less than its reminder time ahead gets no separate reminder: the
 * scheduling notice just went out and serves as one.
 */
function skipLateReminder(db: Db, id: string, now: string): void {
  db.prepare(
    `UPDATE incidents SET reminded_at = ? WHERE id = ? AND reminded_at IS NULL AND scheduled_remind_prior > 0
       AND (julianday(scheduled_for) - julianday(?)) * 1440 < scheduled_remind_prior`,
  ).run(now, id, now);
}

/** In the window: the affected components are under maintenance, except those an incident holds. */
function enterWindow(ctx: Deps<'db'>, id: string, now: string): Map<string, ComponentStatus> {
  const held = heldElsewhere(ctx.db, id);
  const changes = new Map<string, ComponentStatus>();
  for (const c of affectedIds(ctx.db, id)) if (!held.has(c)) changes.set(c, 'under_maintenance');
  ctx.db.prepare("UPDATE incidents SET status = 'in_progress', started_at = ?, updated_at = ? WHERE id = ?").run(now, now, id);
  return changes;
}

/** After the window: components still under maintenance go back to operational, unless another incident or window holds them. */
function leaveWindow(ctx: Deps<'db'>, id: string, now: string): Map<string, ComponentStatus> {
  const held = heldElsewhere(ctx.db, id);
  const changes = new Map<string, ComponentStatus>();
  for (const c of affectedIds(ctx.db, id)) {
    if (!held.has(c) && findComponent(ctx.db, c)?.status === 'under_maintenance') changes.set(c, 'operational');
  }
  ctx.db.prepare("UPDATE incidents SET status = 'completed', resolved_at = COALESCE(resolved_at, ?), updated_at = ? WHERE id = ?").run(now, now, id);
  return changes;
}

/**
 * Edits a window and/or moves it along: a new status (in progress, verifying, completed) posts an update;
 * moving the window posts one too and tells subscribers, as does a message.
 */
export function patchMaintenance(ctx: Deps<'bus' | 'clock' | 'config' | 'db'>, actor: Actor, id: string, given: MaintenancePatch): Incident {
  const input = parseInput(maintenancePatchInput, given);
  getMaintenance(ctx.db, id);
  return commitChange(ctx, { cause: 'maintenance.updated', actor, subject: () => getMaintenance(ctx.db, id) }, () => {
    const before = getMaintenance(ctx.db, id);
    const now = ctx.clock.now().toISOString();
    const from = input.scheduled_for ?? before.scheduled_for ?? now;
    const until = input.scheduled_until ?? before.scheduled_until ?? now;
    if (Date.parse(until) <= Date.parse(from)) throw new Invalid({ [`scheduled_until`]: 'The end must be after the start' });
    // Moving a window that stays open to an end already past is refused; completing it may record its real end.
    if (until !== before.scheduled_until && Date.parse(until) <= Date.parse(now) && (input.status ?? before.status) !== 'completed') {
      throw new Invalid({ scheduled_until: ENDED });
    }
    if (input.component_ids) {
      checkComponents(ctx.db, input.component_ids, () => `component_ids`);
      const link = ctx.db.prepare('INSERT OR IGNORE INTO incident_components (incident_id, component_id) VALUES (?, ?)');
      for (const c of input.component_ids) link.run(id, c);
    }
    const moved = from !== before.scheduled_for || until !== before.scheduled_until;
    if (before.status === 'completed' && (moved || (input.status !== undefined && input.status !== 'completed'))) {
      throw new Invalid({ [`status`]: 'This maintenance has finished; schedule a new window instead' });
    }
    const flagValue = (v: boolean | undefined, old: number) => (v === undefined ? old : v ? 1 : 0);
    ctx.db
      .prepare(
        `UPDATE incidents SET name = ?, scheduled_for = ?, scheduled_until = ?, scheduled_remind_prior = ?, scheduled_auto_in_progress = ?,
           scheduled_auto_completed = ?, notify_on_start = ?, notify_on_completion = ?, updated_at = ?,
           started_at = CASE WHEN status = 'scheduled' THEN ? ELSE started_at END,
           reminded_at = CASE WHEN ? THEN NULL ELSE reminded_at END
         WHERE id = ?`,
      )
      .run(
        input.name ?? before.name,
        from,
        until,
        input.scheduled_remind_prior ?? before.scheduled_remind_prior,
        flagValue(input.scheduled_auto_in_progress, before.scheduled_auto_in_progress),
        flagValue(input.scheduled_auto_completed, before.scheduled_auto_completed),
        flagValue(input.auto_transition_deliver_notifications_at_start, before.notify_on_start),
        flagValue(input.auto_transition_deliver_notifications_at_end, before.notify_on_completion),
        now,
        from,
        // A moved window gets its reminder again, before its new start.
        moved ? 1 : 0,
        id,
      );
    if (moved) skipLateReminder(ctx.db, id, now);
    const status = input.status ?? before.status;
    if (status !== before.status || input.body !== undefined || moved) {
      let changes = new Map<string, ComponentStatus>();
      if (status === 'in_progress' && before.status === 'scheduled') changes = enterWindow(ctx, id, now);
      else if (status === 'completed' && before.status !== 'completed') changes = leaveWindow(ctx, id, now);
      else ctx.db.prepare('UPDATE incidents SET status = ? WHERE id = ?').run(status, id);
      const body = input.body || (moved && status === before.status ? rescheduledText(from, until, pageZone(ctx)) : '');
      addUpdate(ctx, actor, id, { status: status, body, deliver_notifications: input.deliver_notifications, changes });
    }
    return { result: getIncident(ctx.db, id), ids: [id] };
  });
}

/** In the page's zone, with its offset ("3 Dec 2026, 02:00 UTC+1"), as the page and the mail show times. */
function rescheduledText(from: string, until: string, timeZone: string): string {
  return `This maintenance has been rescheduled: it now runs from ${formatDateTime(from, timeZone)} to ${formatDateTime(until, timeZone)}.`;
}

/** Cancels a window that has not finished: it completes with a cancellation message to subscribers. */
export function cancelMaintenance(ctx: Deps<'bus' | 'clock' | 'config' | 'db'>, actor: Actor, id: string, body = ''): Incident {
  const before = getMaintenance(ctx.db, id);
  if (before.status === 'completed') throw new Invalid({ form: 'This maintenance has already finished' });
  return commitChange(ctx, { cause: 'maintenance.cancelled', actor, subject: () => getMaintenance(ctx.db, id) }, () => {
    const now = ctx.clock.now().toISOString();
    const started = before.status === 'in_progress' || before.status === 'verifying';
    // Only a window that began has components to give back; one that never started touches none.
    const changes = started ? leaveWindow(ctx, id, now) : new Map<string, ComponentStatus>();
    if (!started) ctx.db.prepare("UPDATE incidents SET status = 'completed', resolved_at = ?, updated_at = ? WHERE id = ?").run(now, now, id);
    ctx.db.prepare('UPDATE incidents SET cancelled_at = ? WHERE id = ?').run(now, id);
    addUpdate(ctx, actor, id, { status: 'completed', body: body || 'This maintenance has been cancelled.', deliver_notifications: true, changes });
    return { result: getIncident(ctx.db, id), ids: [id] };
  });
}

/**
 * The maintenance job's work, due-time based so that it catches up after downtime: windows whose start
 * has come start (late if need be), windows whose end has come complete, and reminders go out before
 * the start; a reminder whose window has already begun is never sent. Idempotent.
 */
export function runMaintenanceTransitions(ctx: Deps<'bus' | 'clock' | 'config' | 'db'>, now: Date): { started: number; completed: number; reminded: number } {
  const system: Actor = { type: 'system' };
  const t = now.getTime();
  const result = { started: 0, completed: 0, reminded: 0 };
  const open = ctx.db
    .prepare("SELECT id FROM incidents WHERE kind = 'maintenance' AND status IN ('scheduled', 'in_progress', 'verifying') ORDER BY scheduled_for")
    .pluck()
    .all() as string[];
  for (const id of open) {
    let m = getIncident(ctx.db, id);
    const start = Date.parse(m.scheduled_for ?? '');
    const end = Date.parse(m.scheduled_until ?? '');
    if (m.status === 'scheduled' && m.scheduled_remind_prior > 0 && !m.reminded_at && t >= start - m.scheduled_remind_prior * 60_000) {
      // Once the window has begun a reminder is pointless: mark it done without sending.
      const send = t < start;
      // Each arming of the reminder (a move re-arms it, updated_at changes) is its own delivery source.
      const arming = Date.parse(m.updated_at);
      const queued = commitChange(ctx, { cause: 'maintenance.reminder', actor: system }, () => {
        const claimed = ctx.db.prepare('UPDATE incidents SET reminded_at = ? WHERE id = ? AND reminded_at IS NULL').run(now.toISOString(), id).changes;
        const source = `reminder:${id}:${arming}`;
        const n =
          send && claimed
            ? enqueueForIncident(
                ctx.db,
                { source, kind: 'maintenance_reminder', subjectId: id, incidentId: id, idPrefix: `reminder.${id}.${arming}` },
                mailHost(ctx.config.publicUrl),
                now,
              ) + enqueueEndpointsForIncident(ctx.db, { source, kind: 'maintenance_reminder', subjectId: id, incidentId: id, incidentKind: 'maintenance' }, now)
            : 0;
        return { result: n, ids: [id] };
      });
      if (queued > 0) result.reminded++;
    }
    if (m.status === 'scheduled' && m.scheduled_auto_in_progress && t >= start) {
      const windowOver = m.scheduled_auto_completed === 1 && t >= end;
      m = patchMaintenance(ctx, system, id, { status: 'in_progress', deliver_notifications: m.notify_on_start === 1 && !windowOver });
      result.started++;
    }
    if ((m.status === 'in_progress' || m.status === 'verifying') && m.scheduled_auto_completed && t >= end) {
      patchMaintenance(ctx, system, id, { status: 'completed', deliver_notifications: m.notify_on_completion === 1 });
      result.completed++;
    }
  }
  return result;
}
