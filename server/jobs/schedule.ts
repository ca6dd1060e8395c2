import cron from 'node-cron';
import type { Context } from '../context.js';
import { pageZone, ZONE_CHANGED } from '../domain/page/time-zone.js';

/** A job: idempotent and due-time based, so running it late (after downtime) catches up. */
export interface Job {
  id: string;
  /** node-cron expression, in the page's time zone. */
  schedule: string;
  description: string;
  run(ctx: Context, now: Date): Promise<string | void> | string | void;
}

export interface JobRun {
  job_id: string;
  started_at: string;
  finished_at: string | null;
  result: 'running' | 'ok' | 'error';
  error: string | null;
  detail: string;
}

const running = new WeakMap<Context, Set<string>>();

/** Runs a job once unless it is already running; its start, result and error are kept in job_runs. */
export async function runJob(ctx: Context, job: Job, now = ctx.clock.now()): Promise<JobRun | undefined> {
  const mine = running.get(ctx) ?? new Set<string>();
  running.set(ctx, mine);
  if (mine.has(job.id)) return undefined;
  mine.add(job.id);
  const started = now.toISOString();
  const record = (result: JobRun['result'], error: string | null, detail: string, finished: string | null) => {
    try {
      ctx.db
        .prepare(
          `INSERT INTO job_runs (job_id, started_at, finished_at, result, error, detail) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(job_id) DO UPDATE SET started_at = excluded.started_at, finished_at = excluded.finished_at,
             result = excluded.result, error = excluded.error, detail = excluded.detail`,
        )
        .run(job.id, started, finished, result, error, detail);
    } catch (err) {
      // A busy or full database must not stop the job from running next time: log and go on.
      ctx.log.error({ err, job: job.id }, 'could not record a job run');
    }
  };
  try {
    record('running', null, '', null);
    const detail = (await job.run(ctx, now)) ?? '';
    record('ok', null, detail, ctx.clock.now().toISOString());
    if (detail) ctx.log.info({ job: job.id, detail }, 'job done');
  } catch (err) {
    ctx.log.error({ err, job: job.id }, 'job failed');
    record('error', err instanceof Error ? err.message : String(err), '', ctx.clock.now().toISOString());
  } finally {
    mine.delete(job.id);
  }
  return ctx.db.prepare('SELECT * FROM job_runs WHERE job_id = ?').get(job.id) as JobRun | undefined;
}

export function jobRuns(ctx: Context): Map<string, JobRun> {
  return new Map((ctx.db.prepare('SELECT * FROM job_runs').all() as JobRun[]).map((r) => [r.job_id, r]));
}

/**
 * Starts every job on its schedule (main.ts only), in the page's time zone; the catch-up jobs run once
 * right away. When Settings changes the zone, every job is scheduled again in the new one.
 */
export function startJobs(ctx: Context, jobs: Job[], catchUp: string[]): { stop(): void } {
  const start = (job: Job) => {
    runJob(ctx, job).catch((err: unknown) => ctx.log.error({ err, job: job.id }, 'job could not run'));
  };
  let zone = pageZone(ctx);
  let tasks = jobs.map((job) => cron.schedule(job.schedule, () => start(job), { timezone: zone }));
  const off = ctx.bus.on('page.changed', (change) => {
    if (change.cause !== ZONE_CHANGED || pageZone(ctx) === zone) return;
    zone = pageZone(ctx);
    tasks.forEach((t) => t.stop());
    tasks = jobs.map((job) => cron.schedule(job.schedule, () => start(job), { timezone: zone }));
    ctx.log.info({ timeZone: zone }, 'jobs scheduled in the new time zone');
  });
  for (const job of jobs) if (catchUp.includes(job.id)) start(job);
  return {
    stop: () => {
      off();
      tasks.forEach((t) => t.stop());
    },
  };
}
