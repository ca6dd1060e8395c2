import { z } from 'zod';
import type { Deps } from '../../context.js';
import { Invalid } from '../../errors.js';
import type { Actor } from '../access/actors.js';
import { audit } from '../access/audit.js';
import { getIncident, type Incident } from './queries.js';
import { enqueueOne } from '../subscribers/outbox.js';
import { mailHost } from '../subscribers/subscribers.js';
import { flag, longText, parseInput, isoTime } from '../../lib/validate.js';

/**
 * The data-protection clock: when personal data may be affected, GDPR Art. 33 gives 72 hours from
 * awareness to notify the supervisory authority. Admins are reminded at 48 h and 66 h until the
 * notification is recorded; a late notification must give the reasons for the delay (Art. 33(1)).
 */
export const DEADLINE_HOURS = 72;
export const REMINDERS = [
  { mark: '48h', hours: 48 },
  { mark: '66h', hours: 66 },
] as const;

const HOUR = 3_600_000;

export const flagInput = z.object({ personal_data_at_risk: flag, aware_at: isoTime.optional() });
export type PersonalDataFlag = z.input<typeof flagInput>;
export const notificationInput = z.object({
  notified_at: isoTime,
  reference: longText(500).default(''),
  delay_reasons: longText(10_000).default(''),
});
export type NotificationRecord = z.input<typeof notificationInput>;

export function deadlineOf(incident: Incident): string | undefined {
  return incident.personal_data_at_risk && incident.aware_at ? new Date(Date.parse(incident.aware_at) + DEADLINE_HOURS * HOUR).toISOString() : undefined;
}

export interface Clock {
  incident: Incident;
  deadline: string;
  msLeft: number;
  overdue: boolean;
}

/** Open clocks: flagged incidents whose notification is not recorded yet, soonest deadline first. */
export function openClocks(ctx: Deps<'db'>, now: Date): Clock[] {
  const ids = ctx.db
    .prepare('SELECT id FROM incidents WHERE personal_data_at_risk = 1 AND aware_at IS NOT NULL AND authority_notified_at IS NULL ORDER BY aware_at')
    .pluck()
    .all() as string[];
  return ids.map((id) => {
    const incident = getIncident(ctx.db, id);
    const deadline = deadlineOf(incident) ?? now.toISOString();
    const msLeft = Date.parse(deadline) - now.getTime();
    return { incident, deadline, msLeft, overdue: msLeft < 0 };
  });
}

/** Flags (or unflags) an incident; awareness defaults to now and is kept once set unless changed. */
export function flagPersonalData(ctx: Deps<'clock' | 'db'>, actor: Actor, id: string, given: PersonalDataFlag): Incident {
  const input = parseInput(flagInput, given);
  const incident = getIncident(ctx.db, id);
  if (incident.kind !== 'incident') throw new Invalid({ form: 'Only incidents carry the data-protection clock' });
  const now = ctx.clock.now();
  const aware = input.personal_data_at_risk ? (input.aware_at ?? incident.aware_at ?? now.toISOString()) : incident.aware_at;
  if (input.personal_data_at_risk && Date.parse(aware ?? '') > now.getTime() + 5 * 60_000) {
    throw new Invalid({ aware_at: 'Awareness cannot be in the future' });
  }
  ctx.db
    .transaction(() => {
      // A new awareness time (or a new flag) starts the reminders afresh.
      const restart = aware !== incident.aware_at || !incident.personal_data_at_risk;
      ctx.db
        .prepare(
          `UPDATE incidents SET personal_data_at_risk = ?, aware_at = ?, dp_reminders_sent = CASE WHEN ? THEN '' ELSE dp_reminders_sent END WHERE id = ?`,
        )
        .run(input.personal_data_at_risk ? 1 : 0, aware, restart ? 1 : 0, id);
      audit(ctx.db, actor, input.personal_data_at_risk ? 'data_protection.flagged' : 'data_protection.unflagged', id, { aware_at: aware }, now);
    })
    .immediate();
  return getIncident(ctx.db, id);
}

/** Records that the authority was notified (when, reference); after the deadline the reasons are required. */
export function recordNotification(ctx: Deps<'clock' | 'db'>, actor: Actor, id: string, given: NotificationRecord): Incident {
  const input = parseInput(notificationInput, given);
  const incident = getIncident(ctx.db, id);
  const deadline = deadlineOf(incident);
  if (!deadline) throw new Invalid({ form: 'This incident is not flagged as affecting personal data' });
  if (Date.parse(input.notified_at) > ctx.clock.now().getTime() + 5 * 60_000) throw new Invalid({ notified_at: 'This is in the future' });
  if (Date.parse(input.notified_at) < Date.parse(incident.aware_at ?? '')) {
    throw new Invalid({ notified_at: 'This is before you became aware of the breach' });
  }
  if (Date.parse(input.notified_at) > Date.parse(deadline) && !input.delay_reasons) {
    throw new Invalid({ delay_reasons: 'The notification came after the 72 hours: Art. 33(1) requires the reasons for the delay' });
  }
  ctx.db
    .transaction(() => {
      ctx.db
        .prepare('UPDATE incidents SET authority_notified_at = ?, authority_reference = ?, delay_reasons = ? WHERE id = ?')
        .run(input.notified_at, input.reference, input.delay_reasons, id);
      audit(ctx.db, actor, 'data_protection.authority_notified', id, input, ctx.clock.now());
    })
    .immediate();
  return getIncident(ctx.db, id);
}

/**
 * Queues the 48 h and 66 h reminders to every admin while the notification is not recorded; each once.
 * After downtime only the latest due reminder goes out (the earlier one is marked done unsent).
 */
export function sendClockReminders(ctx: Deps<'bus' | 'config' | 'db'>, now: Date): number {
  let queued = 0;
  const admins = ctx.db.prepare("SELECT id, email FROM users WHERE role = 'admin'").all() as { id: string; email: string }[];
  for (const clock of openClocks(ctx, now)) {
    const { incident } = clock;
    const elapsed = now.getTime() - Date.parse(incident.aware_at ?? '');
    const sent = new Set(incident.dp_reminders_sent.split(',').filter(Boolean));
    const due = REMINDERS.filter((r) => elapsed >= r.hours * HOUR && !sent.has(r.mark));
    const latest = due.at(-1);
    if (!latest || elapsed >= DEADLINE_HOURS * HOUR) {
      if (due.length)
        ctx.db.prepare('UPDATE incidents SET dp_reminders_sent = ? WHERE id = ?').run([...sent, ...due.map((r) => r.mark)].join(','), incident.id);
      continue;
    }
    ctx.db
      .transaction(() => {
        for (const admin of admins) {
          enqueueOne(
            ctx.db,
            {
              source: `dp:${incident.id}:${latest.mark}`,
              recipient: admin.email,
              subscriberId: admin.id,
              kind: 'admin_alert',
              subjectId: incident.id,
              messageId: `<dp.${incident.id}.${latest.mark}.${admin.id}@${mailHost(ctx.config.publicUrl)}>`,
            },
            now,
          );
          queued++;
        }
        ctx.db.prepare('UPDATE incidents SET dp_reminders_sent = ? WHERE id = ?').run([...sent, ...due.map((r) => r.mark)].join(','), incident.id);
      })
      .immediate();
  }
  if (queued) ctx.bus.emit('mail.queued');
  return queued;
}
