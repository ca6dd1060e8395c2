import type { Job } from './schedule.js';
import { outboxSweep } from './outbox-sweep.js';
import { maintenanceJob } from './maintenance.js';
import { dataProtectionJob } from './data-protection-clock.js';
import { purgeJob } from './purge.js';
import { backupJob } from './backup.js';
import { uptimeJob } from './uptime-rollup.js';

/** Every scheduled job, one file each; main.ts starts them (jobs/schedule.ts). */
export const JOBS: Job[] = [outboxSweep, maintenanceJob, dataProtectionJob, purgeJob, backupJob, uptimeJob];

/** Run once at start: transitions and reminders that fell due while Pharos was down happen now. */
export const CATCH_UP = ['maintenance', 'data-protection-clock', 'uptime-rollup'];
