import cluster, { type Worker } from 'node:cluster';
import { wire } from '../compose.js';
import type { LocalLimits } from '../lib/limits.js';
import { asIpcMessage } from './messages.js';
import type { Primary } from './primary.js';
import { relayAmongWorkers } from './relay.js';
import { answerLimits } from './remote-limits.js';

/** How long workers get to finish their requests at shutdown. */
const DRAIN_MS = 8_000;

/**
 * WEB_CONCURRENCY=N: N HTTP worker processes on one port (node:cluster hands out connections round
 * robin), this process keeping the lock, the database's migrations, the jobs, the outbox worker and the
 * shared limits. A worker that dies is replaced (after a pause if it keeps dying at start). Live
 * viewers use websockets only in this mode: HTTP long-polling needs every request of a session on one
 * process, which round-robin does not give (realtime/hub.ts).
 */
export function serveWithWorkers(primary: Primary): { stop(): Promise<void> } {
  const { ctx } = primary;
  const n = ctx.config.webConcurrency;
  cluster.setupPrimary({ serialization: 'advanced' });
  const live = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  const relay = relayAmongWorkers(ctx.bus, live);
  const unwire = wire(ctx, { mirror: primary.mirror });
  let stopping = false;
  const recentCrashes: number[] = [];

  const fork = () => {
    const worker = cluster.fork();
    const started = Date.now();
    worker.on('message', (raw: unknown) => {
      const m = asIpcMessage(raw);
      if (m?.pharos === 'bus') relay(worker, m);
      else if (m?.pharos === 'limits') answerLimits(ctx.limits as LocalLimits, worker, m, ctx.log);
    });
    worker.on('online', () => ctx.log.info({ worker: worker.id, pid: worker.process.pid }, 'HTTP worker started'));
    // A message sent as the worker dies fails with EPIPE: without a listener, that error would end
    // this process (and with it every worker). The worker's 'exit' follows and replaces it.
    worker.on('error', (err) => ctx.log.warn({ err, worker: worker.id, pid: worker.process.pid }, 'message to an HTTP worker not delivered'));
    worker.once('exit', (code, signal) => {
      if (stopping) return;
      const now = Date.now();
      if (now - started < 10_000) recentCrashes.push(now);
      while (recentCrashes.length && recentCrashes[0] !== undefined && recentCrashes[0] < now - 60_000) recentCrashes.shift();
      // Viewers of the dead worker reconnect to the others meanwhile; a worker that keeps dying at start is retried slower.
      const delay = Math.min(30_000, recentCrashes.length > 2 ? 1000 * 2 ** (recentCrashes.length - 3) : 0);
      ctx.log.error({ worker: worker.id, pid: worker.process.pid, code, signal, restartInMs: delay }, 'HTTP worker died; starting another');
      setTimeout(fork, delay).unref();
    });
  };
  for (let i = 0; i < n; i++) fork();

  return {
    stop: async () => {
      stopping = true;
      const workers = live();
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (!w.isConnected()) return resolve();
              const force = setTimeout(() => {
                w.process.kill('SIGKILL');
                resolve();
              }, DRAIN_MS);
              w.once('exit', () => {
                clearTimeout(force);
                resolve();
              });
              w.send({ pharos: 'shutdown' });
            }),
        ),
      );
      unwire();
    },
  };
}
