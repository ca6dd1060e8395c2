import { mkdirSync } from 'node:fs';
import type { Config } from '../config.js';
import type { Context } from '../context.js';
import { createContext, type Consumers } from '../compose.js';
import { lockDataDir } from '../db/lock.js';
import { ensureFirstAdmin } from '../domain/access/first-admin.js';
import { CATCH_UP, JOBS } from '../jobs/registry.js';
import { startJobs } from '../jobs/schedule.js';
import { mailDir } from '../outbox/mail/transport.js';
import { startStaticMirror, type StaticMirror } from '../snapshot/static-mirror.js';
import { Publisher } from './replication/publisher.js';

/**
 * The process that owns a data folder: the lock, the database, the jobs, the outbox worker, the mirror,
 * and with REDIS_URL the publication of the read model to Redis.
 */
export interface Primary {
  ctx: Context;
  mirror: StaticMirror;
  /** With REDIS_URL: the publication of the public read model for edges. */
  publisher: Publisher | undefined;
  /** What the primary process consumes changes with, besides a server's live viewers (compose.ts's wire()). */
  consumers: Pick<Consumers, 'mirror' | 'publisher'>;
  /** The one-time setup link, while no operator exists. */
  setupUrl: string | undefined;
  /** First thing at shutdown: no job starts any more. */
  stopJobs(): void;
  /** After the HTTP side has stopped: the mail in flight, the mirror, the database, the lock. */
  stop(): Promise<void>;
}

/**
 * Everything a data folder needs once, whether one process serves it all or HTTP workers serve the
 * requests (cluster/workers.ts): the lock first, so that of two starting servers only one goes on.
 * Throws ConfigError, LockError or MigrationError for main.ts to print as one line.
 */
export async function startPrimary(config: Config): Promise<Primary> {
  mkdirSync(config.dataDir, { recursive: true });
  const unlock = lockDataDir(config.dataDir);
  let ctx: Context;
  try {
    ctx = createContext(config);
  } catch (err) {
    unlock();
    throw err;
  }
  const setupUrl = await ensureFirstAdmin(ctx);
  const mirror = startStaticMirror(ctx);
  const publisher = config.redisUrl ? new Publisher({ config, log: ctx.log, pageId: ctx.pageId }) : undefined;
  ctx.mail.start();
  ctx.hooks.start();
  const jobs = startJobs(ctx, JOBS, CATCH_UP);
  if (ctx.mail.transport.kind === 'file') {
    ctx.log.warn(`SMTP is not configured (SMTP_URL): mail is written as .eml files to ${mailDir(ctx.config)} (Admin → Mail)`);
  } else {
    ctx.log.info(`mail goes through ${ctx.mail.transport.description}`);
  }
  return {
    ctx,
    mirror,
    publisher,
    consumers: { mirror, ...(publisher ? { publisher } : {}) },
    setupUrl,
    stopJobs: () => jobs.stop(),
    stop: async () => {
      jobs.stop();
      await Promise.all([ctx.mail.stop(), ctx.hooks.stop()]);
      await mirror.stop();
      await publisher?.stop();
      ctx.db.close();
      unlock();
    },
  };
}
