import { runMaintenanceTransitions } from '../domain/incidents/maintenance.js';
import type { Job } from './schedule.js';

export const maintenanceJob: Job = {
  id: 'maintenance',
  schedule: '* * * * *',
  description: 'Starts and completes maintenance windows, and sends their reminders',
  run: (ctx, now) => {
    const r = runMaintenanceTransitions(ctx, now);
    return r.started || r.completed || r.reminded ? `${r.started} started, ${r.completed} completed, ${r.reminded} reminders` : '';
  },
};
