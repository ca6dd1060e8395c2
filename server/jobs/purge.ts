import type { Job } from './schedule.js';

export const PENDING_SUBSCRIBER_DAYS = 7;

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
