import { join } from 'node:path';
import type { Context } from '../context.js';
import { backupDatabase } from '../db/backup.js';
import { sendClockReminders } from '../domain/incidents/data-protection.js';
import { runMaintenanceTransitions } from '../domain/incidents/maintenance.js';
import { rollupUptime } from '../domain/page/uptime.js';
import type { Job } from './schedule.js';

export const PENDING_SUBSCRIBER_DAYS = 7;

export const outboxSweep: Job = {
  id: 'outbox-sweep',
  schedule: '* * * * *',
  description: 'Sends mail whose retry time has come, and mail left in flight by a process that died',
  run: (ctx) => ctx.mail.wake(),
};

export const maintenanceJob: Job = {
  id: 'maintenance',
  schedule: '* * * * *',
  description: 'Starts and completes maintenance windows, and sends their reminders',
  run: (ctx, now) => {
    const r = runMaintenanceTransitions(ctx, now);
    return r.started || r.completed || r.reminded ? `${r.started} started, ${r.completed} completed, ${r.reminded} reminders` : '';
  },
};

export const dataProtectionJob: Job = {
  id: 'data-protection-clock',
  schedule: '* * * * *',
  description: 'Reminds admins at 48 h and 66 h to notify the supervisory authority',
  run: (ctx, now) => {
    const queued = sendClockReminders(ctx, now);
    return queued ? `${queued} reminders queued` : '';
  },
};

export const purgeJob: Job = {
  id: 'purge',
  schedule: '17 3 * * *',
  description: `Removes subscribers pending for more than ${PENDING_SUBSCRIBER_DAYS} days, and expired sessions`,
  run: (ctx, now) => {
    const cutoff = new Date(now.getTime() - PENDING_SUBSCRIBER_DAYS * 86_400_000).toISOString();
    const pending = ctx.db.prepare("DELETE FROM subscribers WHERE state = 'pending' AND updated_at < ?").run(cutoff).changes;
    const sessions = ctx.db.prepare('DELETE FROM sessions WHERE expires_at < ?').run(now.toISOString()).changes;
    return `${pending} pending subscribers, ${sessions} sessions removed`;
  },
};

export const backupJob: Job = {
  id: 'backup',
  schedule: '37 2 * * *',
  description: 'Copies the database online into DATA_DIR/backups, checks it, keeps the newest BACKUP_KEEP',
  run: async (ctx, now) => {
    const { file, removed } = await backupDatabase(ctx.db, join(ctx.config.dataDir, 'backups'), now, ctx.config.backupKeep);
    return `${file} written and checked${removed.length ? `, ${removed.length} old removed` : ''}`;
  },
};

export const uptimeJob: Job = {
  id: 'uptime-rollup',
  schedule: '5 0 * * *',
  description: 'Rolls up the finished days of every component for the 90-day uptime bars',
  run: (ctx: Context, now) => {
    const written = rollupUptime(ctx.db, ctx.config.timeZone, now);
    if (written) ctx.snapshot.rebuild(ctx.snapshot.current().version);
    return `${written} component-days rolled up`;
  },
};

export const JOBS: Job[] = [outboxSweep, maintenanceJob, dataProtectionJob, purgeJob, backupJob, uptimeJob];

/** Run once at start: transitions and reminders that fell due while Pharos was down happen now. */
export const CATCH_UP = ['maintenance', 'data-protection-clock', 'uptime-rollup'];
