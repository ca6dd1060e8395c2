import cluster from 'node:cluster';
import { runEdge } from './cluster/edge.js';
import { runHttpWorker } from './cluster/http-worker.js';
import { startPrimary, type Primary } from './cluster/primary.js';
import { forkWorkers, serveWithWorkers } from './cluster/workers.js';
import { asIpcMessage } from './cluster/messages.js';
import { wire } from './compose.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { LockError } from './db/lock.js';
import { MigrationError } from './db/migrate.js';
import { startServer } from './http/server.js';
import { environmentWithDotEnv } from './lib/env-file.js';
import { checkPort, PortError } from './lib/port.js';
import { createLog, type Log } from './log.js';

/** One process serving it all (WEB_CONCURRENCY=1, the default): HTTP, socket.io, and the primary's parts. */
async function serveInProcess(primary: Primary): Promise<{ stop(): Promise<void> }> {
  const running = await startServer(primary.ctx);
  // Before any request is read: the continuation runs before the first connection is handled.
  const unwire = wire(primary.ctx, { ...primary.consumers, live: running.live, admin: running.admin });
  return {
    stop: async () => {
      await running.close();
      // The requests in flight were answered and their changes consumed; then nothing more listens.
      unwire();
    },
  };
}

/** The one-line errors of start-up: a setting, the port, the data folder's lock, a migration. */
function startupError(err: unknown): never {
  if (err instanceof ConfigError || err instanceof MigrationError || err instanceof LockError || err instanceof PortError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}

/** SIGTERM and SIGINT stop `serving` (at most 12 s), then the process. */
function onSignals(log: Log, stop: () => Promise<void>, first?: () => void): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.warn('shutdown took too long; exiting');
      process.exit(1);
    }, 12_000);
    force.unref();
    first?.();
    stop()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        log.error({ err }, 'error while shutting down');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => handler('SIGTERM'));
  process.on('SIGINT', () => handler('SIGINT'));
}

/** PHAROS_ROLE=edge: one edge in this process, or WEB_CONCURRENCY edges as HTTP workers of this one. */
async function mainEdge(config: Config): Promise<void> {
  const log = createLog(config.logLevel);
  if (cluster.isWorker) {
    const edge = await runEdge(config, log).catch(startupError);
    const stop = () => void edge.stop().then(() => process.exit(0));
    process.on('message', (raw: unknown) => {
      if (asIpcMessage(raw)?.pharos === 'shutdown') stop();
    });
    // The cluster's primary handles the group's signals; a worker left alone stops too.
    process.on('SIGTERM', () => undefined);
    process.on('SIGINT', () => undefined);
    process.on('disconnect', stop);
    return;
  }
  const n = config.webConcurrency;
  const listening = () =>
    log.info({ host: config.host, port: config.port, workers: n }, `Pharos edge listening on ${config.publicUrl}, forwarding to ${config.primaryUrl ?? ''}`);
  if (n > 1) {
    const workers = forkWorkers(n, log);
    cluster.once('listening', listening);
    return onSignals(log, () => workers.stop());
  }
  const edge = await runEdge(config, log).catch(startupError);
  listening();
  onSignals(log, () => edge.stop());
}

/** Process entry: config → the primary's parts (lock, compose, jobs, mail) → HTTP, in process or in workers → signals. */
async function main(): Promise<void> {
  let config: Config;
  let primary: Primary;
  try {
    config = loadConfig(environmentWithDotEnv(process.env));
    // Before the data folder is touched (lock, migrations): a port in use is said in one line.
    if (cluster.isPrimary) await checkPort(config.host, config.port);
    if (config.role === 'edge') return await mainEdge(config);
    if (cluster.isWorker) return await runHttpWorker(config);
    primary = await startPrimary(config);
  } catch (err) {
    startupError(err);
  }
  const { ctx } = primary;
  const workers = config.webConcurrency;
  const serving = workers > 1 ? serveWithWorkers(primary) : await serveInProcess(primary).catch(startupError);
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
  onSignals(
    ctx.log,
    () => serving.stop().then(() => primary.stop()),
    () => primary.stopJobs(),
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
