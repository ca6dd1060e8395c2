import { existsSync, readFileSync } from 'node:fs';
import { NotFound } from '../../errors.js';
import { join } from 'node:path';
import { Router } from 'express';
import type { Context } from '../../context.js';
import { JOBS } from '../../jobs/registry.js';
import { jobRuns } from '../../jobs/schedule.js';
import { renderPage } from '../respond.js';
import type { StorageReport } from '../../db/storage.js';

const MB = 2 ** 20;

/** The storage's checks, as the System page shows them. */
function storageOf(report: StorageReport) {
  const mb = (bytes: number) => `${Math.floor(bytes / MB).toLocaleString('en')} MB`;
  return {
    free: mb(report.storage.freeBytes),
    needed: mb(report.storage.neededBytes),
    storage: report.storage,
    database: report.database,
    checkedAt: new Date(report.at).toISOString(),
  };
}

/** The storage's state, the mail transport and the scheduled jobs (admins only): schedule, last run, result and error. */
export function systemRoutes(ctx: Context): Router {
  const router = Router();
  router.get('/admin/system', (_req, res) => {
    const runs = jobRuns(ctx);
    renderPage(ctx, res, 'admin/system', {
      title: 'System',
      nav: 'system',
      jobs: JOBS.map((job) => ({ id: job.id, schedule: job.schedule, description: job.description, run: runs.get(job.id) })),
      mail: ctx.mail.state(),
      storage: storageOf(ctx.storage.check()),
    });
  });
  // The licence Pharos is distributed under, from the LICENSE file it ships with.
  router.get('/admin/license', (_req, res) => {
    const file = join(ctx.root, 'LICENSE');
    if (!existsSync(file)) throw new NotFound('The LICENSE file was not deployed with this copy of Pharos; Pharos is under the MIT License.');
    renderPage(ctx, res, 'admin/license', { title: 'Licence', text: readFileSync(file, 'utf8') });
  });
  return router;
}
