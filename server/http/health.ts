import { join } from 'node:path';
import { Router } from 'express';
import type { Context } from '../context.js';
import { pendingMigrations } from '../db/migrate.js';
import type { Check, StorageReport } from '../db/storage.js';

interface Checks {
  database: Check;
  storage: Check;
  migrations: { ok: boolean; pending: string[]; error?: string };
}

function migrationsCheck(ctx: Context): Checks['migrations'] {
  try {
    const pending = pendingMigrations(ctx.db, join(ctx.root, 'migrations'));
    return { ok: pending.length === 0, pending };
  } catch (err) {
    return { ok: false, pending: [], error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * For load balancers and orchestrators. /healthz: the process answers. /readyz: it can serve and record
 * changes: the data folder's disk has room and takes writes, the database is writable and its write
 * lock free (db/storage.ts), every migration applied; with the mail transport's state for information:
 * mail waiting for an SMTP server does not make Pharos unready, the page must stay up. The checks are
 * probed at most once a second and shared by every caller (the route is public). Never cached by
 * clients; nothing in them names a path, a host or a secret.
 */
export function healthRoutes(ctx: Context): Router {
  const router = Router();
  let cached: { report: StorageReport; checks: Checks } | undefined;
  const checks = (): Checks => {
    const report = ctx.storage.check();
    if (cached?.report !== report) {
      const { ok, problem, error } = report.storage;
      cached = { report, checks: { database: report.database, storage: { ok, ...(problem ? { problem, error } : {}) }, migrations: migrationsCheck(ctx) } };
    }
    return cached.checks;
  };
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', (_req, res) => {
    const { database, storage, migrations } = checks();
    const state = ctx.mail.state();
    const paused = state.pausedUntil > ctx.clock.now().getTime();
    const mail = {
      transport: ctx.mail.transport.kind,
      state: paused ? 'waiting for the SMTP server' : state.running ? 'sending' : 'idle',
      lastErrorAt: state.lastError?.at ?? null,
      lastSentAt: state.lastSentAt ?? null,
    };
    const ready = database.ok && storage.ok && migrations.ok;
    res
      .status(ready ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({ status: ready ? 'ready' : 'not ready', checks: { database, storage, migrations, mail } });
  });
  return router;
}
