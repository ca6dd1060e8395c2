import { sendClockReminders } from '../domain/incidents/data-protection.js';
import type { Job } from './schedule.js';

export const dataProtectionJob: Job = {
  id: 'data-protection-clock',
  schedule: '* * * * *',
  description: 'Reminds admins at 48 h and 66 h to notify the supervisory authority',
  run: (ctx, now) => {
    const queued = sendClockReminders(ctx, now);
    return queued ? `${queued} reminders queued` : '';
  },
};
