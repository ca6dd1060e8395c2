import cron from 'node-cron';
import type { Context } from '../context.js';

/** A job: idempotent, never overlapping itself, logged. */
export interface Job {
  id: string;
  schedule: string;
  run(ctx: Context, now: Date): Promise<void> | void;
}

export interface JobState {
  lastRunAt?: string;
  lastResult?: 'ok' | 'error';
  lastError?: string;
}

/** Sweeps the outbox every minute: retries whose time has come and rows whose lease ran out. */
export const outboxSweep: Job = {
  id: 'outbox-sweep',
  schedule: '* * * * *',
  run: (ctx) => ctx.mail.wake(),
};

export const JOBS: Job[] = [outboxSweep];

/** Starts every job on its schedule (main.ts only). Returns a stop function and the jobs' last states. */
export function startJobs(ctx: Context, jobs: Job[] = JOBS): { stop(): void; states: Map<string, JobState> } {
  const states = new Map<string, JobState>();
  const running = new Set<string>();
  const tasks = jobs.map((job) =>
    cron.schedule(job.schedule, () => {
      if (running.has(job.id)) return;
      running.add(job.id);
      const now = ctx.clock.now();
      Promise.resolve()
        .then(() => job.run(ctx, now))
        .then(() => states.set(job.id, { lastRunAt: now.toISOString(), lastResult: 'ok' }))
        .catch((err: unknown) => {
          ctx.log.error({ err, job: job.id }, 'job failed');
          states.set(job.id, { lastRunAt: now.toISOString(), lastResult: 'error', lastError: String(err) });
        })
        .finally(() => running.delete(job.id));
    }),
  );
  return { stop: () => tasks.forEach((t) => t.stop()), states };
}
