import cluster from 'node:cluster';
import { runHttpWorker } from './cluster/http-worker.js';
import { startPrimary, type Primary } from './cluster/primary.js';
import { serveWithWorkers } from './cluster/workers.js';
import { wire } from './compose.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { LockError } from './db/lock.js';
import { MigrationError } from './db/migrate.js';
import { startServer } from './http/server.js';
import { environmentWithDotEnv } from './lib/env-file.js';

/** One process serving it all (WEB_CONCURRENCY=1, the default): HTTP, socket.io, and the primary's parts. */
async function serveInProcess(primary: Primary): Promise<{ stop(): Promise<void> }> {
  const running = await startServer(primary.ctx);
  // Before any request is read: the continuation runs before the first connection is handled.
  const unwire = wire(primary.ctx, { live: running.live, mirror: primary.mirror });
  return {
    stop: async () => {
      await running.close();
      // The requests in flight were answered and their changes consumed; then nothing more listens.
      unwire();
    },
  };
}

/** Process entry: config → the primary's parts (lock, compose, jobs, mail) → HTTP, in process or in workers → signals. */
async function main(): Promise<void> {
  let config: Config;
  let primary: Primary;
  try {
    config = loadConfig(environmentWithDotEnv(process.env));
    if (cluster.isWorker) return await runHttpWorker(config);
    primary = await startPrimary(config);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof MigrationError || err instanceof LockError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const { ctx } = primary;
  const workers = config.webConcurrency;
  const serving = workers > 1 ? serveWithWorkers(primary) : await serveInProcess(primary);
  const shown = config.publicUrl;
  const listening = () =>
    ctx.log.info(
      { host: config.host, port: config.port, workers },
      `Pharos listening on ${shown} (status page ${shown}/, admin ${shown}/admin)${workers > 1 ? ` with ${workers} HTTP workers` : ''}`,
    );
  if (workers > 1) cluster.once('listening', listening);
  else listening();
  if (primary.setupUrl) {
    ctx.log.info({ setup: true }, `No operator account yet. Create the first admin here (one-time link): ${primary.setupUrl}`);
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    ctx.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      ctx.log.warn('shutdown took too long; exiting');
      process.exit(1);
    }, 12_000);
    force.unref();
    primary.stopJobs();
    serving
      .stop()
      .then(() => primary.stop())
      .then(() => process.exit(0))
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
