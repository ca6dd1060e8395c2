import type { Job } from './schedule.js';

export const outboxSweep: Job = {
  id: 'outbox-sweep',
  schedule: '* * * * *',
  description: 'Sends mail whose retry time has come, and mail left in flight by a process that died',
  run: (ctx) => ctx.mail.wake(),
};
