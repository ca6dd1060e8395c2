import type { Job } from './schedule.js';

export const outboxSweep: Job = {
  id: 'outbox-sweep',
  schedule: '* * * * *',
  description: 'Sends mail, webhooks and chat messages whose retry time has come, and those left in flight by a process that died',
  run: (ctx) => {
    ctx.mail.wake();
    ctx.hooks.wake();
  },
};
