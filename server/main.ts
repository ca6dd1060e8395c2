import { ConfigError, loadConfig } from './config.js';
import { type Context } from './context.js';
import { createContext, wire } from './compose.js';
import { mkdirSync } from 'node:fs';
import { lockDataDir, LockError } from './db/lock.js';
import { MigrationError } from './db/migrate.js';
import { ensureFirstAdmin } from './domain/access/first-admin.js';
import { environmentWithDotEnv } from './lib/env-file.js';
import { startServer } from './http/server.js';
import { startStaticMirror } from './snapshot/static-mirror.js';
import { CATCH_UP, JOBS } from './jobs/registry.js';
import { startJobs } from './jobs/schedule.js';
import { mailDir } from './mail/transport.js';

/** Process entry: config → compose → listen → wire → jobs → signals (SIGTERM/SIGINT drain). */
async function main(): Promise<void> {
  let ctx: Context;
  let unlock: () => void;
  try {
    const config = loadConfig(environmentWithDotEnv(process.env));
    mkdirSync(config.dataDir, { recursive: true });
    unlock = lockDataDir(config.dataDir);
    ctx = createContext(config);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof MigrationError || err instanceof LockError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const setupUrl = await ensureFirstAdmin(ctx);
  const mirror = startStaticMirror(ctx);
  ctx.mail.start();
  const running = await startServer(ctx);
  // Before any request is read: the continuation runs before the first connection is handled.
  const unwire = wire(ctx, { live: running.live, mirror });
  const jobs = startJobs(ctx, JOBS, CATCH_UP);
  const shown = ctx.config.publicUrl;
  ctx.log.info({ host: ctx.config.host, port: running.port }, `Pharos listening on ${shown} (status page ${shown}/, admin ${shown}/admin)`);
  if (ctx.mail.transport.kind === 'file') {
    ctx.log.warn(`SMTP is not configured (SMTP_URL): mail is written as .eml files to ${mailDir(ctx.config)} (Admin → Mail)`);
  } else {
    ctx.log.info(`mail goes through ${ctx.mail.transport.description}`);
  }
  if (setupUrl) {
    ctx.log.info({ setup: true }, `No operator account yet. Create the first admin here (one-time link): ${setupUrl}`);
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    ctx.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      ctx.log.warn('shutdown took too long; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    jobs.stop();
    running
      .close()
      .then(() => {
        // The requests in flight were answered and their changes consumed; then nothing more listens.
        unwire();
        return ctx.mail.stop();
      })
      .then(() => mirror.stop())
      .then(() => {
        ctx.db.close();
        unlock();
        process.exit(0);
      })
      .catch((err: unknown) => {
        ctx.log.error({ err }, 'error while shutting down');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
