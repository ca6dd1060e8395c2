import { join } from 'node:path';
import { Router } from 'express';
import type { Context } from '../context.js';
import { pendingMigrations } from '../db/migrate.js';

/** Can this process write to its database now? Takes the write lock, writes, and rolls back. */
function databaseWritable(ctx: Context): { ok: boolean; error?: string } {
  try {
    ctx.db
      .transaction(() => {
        ctx.db.prepare("UPDATE settings SET value = value WHERE key = 'page_id'").run();
        throw new Rollback();
      })
      .immediate();
    return { ok: true };
  } catch (err) {
    if (err instanceof Rollback) return { ok: true };
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}
class Rollback extends Error {}

/**
 * For load balancers and orchestrators. /healthz: the process answers. /readyz: it can serve and record
 * changes (database writable, every migration applied), with the mail transport's state for information:
 * mail waiting for an SMTP server does not make Pharos unready, the page must stay up. Never cached;
 * nothing in them names a path, a host or a secret.
 */
export function healthRoutes(ctx: Context): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', (_req, res) => {
    const database = databaseWritable(ctx);
    let pending: string[] = [];
    let migrationsError: string | undefined;
    try {
      pending = pendingMigrations(ctx.db, join(ctx.root, 'migrations'));
    } catch (err) {
      migrationsError = err instanceof Error ? err.message : String(err);
    }
    const migrations = { ok: !migrationsError && pending.length === 0, pending, ...(migrationsError ? { error: migrationsError } : {}) };
    const state = ctx.mail.state();
    const paused = state.pausedUntil > ctx.clock.now().getTime();
    const mail = {
      transport: ctx.mail.transport.kind,
      state: paused ? 'waiting for the SMTP server' : state.running ? 'sending' : 'idle',
      lastErrorAt: state.lastError?.at ?? null,
      lastSentAt: state.lastSentAt ?? null,
    };
    const ready = database.ok && migrations.ok;
    res
      .status(ready ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({ status: ready ? 'ready' : 'not ready', checks: { database, migrations, mail } });
  });
  return router;
}
