import type { Job } from './schedule.js';

export const PENDING_SUBSCRIBER_DAYS = 7;

export const purgeJob: Job = {
  id: 'purge',
  schedule: '17 3 * * *',
  description: `Removes subscribers pending for more than ${PENDING_SUBSCRIBER_DAYS} days, expired sessions, day-old form tokens and forms kept after a session ended`,
  run: (ctx, now) => {
    const cutoff = new Date(now.getTime() - PENDING_SUBSCRIBER_DAYS * 86_400_000).toISOString();
    const pending = ctx.db.prepare("DELETE FROM subscribers WHERE state = 'pending' AND updated_at < ?").run(cutoff).changes;
    const sessions = ctx.db.prepare('DELETE FROM sessions WHERE expires_at < ?').run(now.toISOString()).changes;
    // A form's one-time token matters while its page may still be open: a day.
    const dayAgo = new Date(now.getTime() - 86_400_000).toISOString();
    ctx.db.prepare('DELETE FROM form_submissions WHERE created_at < ?').run(dayAgo);
    // A form kept when its session ended: a day to sign in again and take it back.
    ctx.db.prepare('DELETE FROM saved_forms WHERE created_at < ?').run(dayAgo);
    return `${pending} pending subscribers, ${sessions} sessions removed`;
  },
};
