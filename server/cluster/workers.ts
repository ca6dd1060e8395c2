import cluster, { type Worker } from 'node:cluster';
import { wire } from '../compose.js';
import type { LocalLimits } from '../lib/limits.js';
import type { Log } from '../log.js';
import { asIpcMessage, type IpcMessage } from './messages.js';
import type { Primary } from './primary.js';
import { relayAmongWorkers } from './relay.js';
import { answerLimits } from './remote-limits.js';

/** How long workers get to finish their requests at shutdown. */
const DRAIN_MS = 8_000;

export interface Workers {
  live(): Worker[];
  /** Asks each worker to finish its requests and end (killed after DRAIN_MS). */
  stop(): Promise<void>;
}

/**
 * N HTTP worker processes on one port, each accepting its connections from the port's queue. A worker that
 * dies is replaced (after a pause if it keeps dying at start); its viewers reconnect to the others
 * meanwhile.
 */
export function forkWorkers(n: number, log: Log, onMessage?: (worker: Worker, m: IpcMessage) => void): Workers {
  // Each worker accepts from the port's queue itself rather than being dealt connections by this process:
  // under a flood of new connections, round robin queues a viewer's connection behind the attacker's here,
  // handed over one per worker turn and acknowledged over IPC (bench:attack, 20,000 idle connections: a
  // viewer's p99 1.97 s dealt, 0.48 s accepted by the workers). NODE_CLUSTER_SCHED_POLICY=rr still chooses.
  if (!process.env.NODE_CLUSTER_SCHED_POLICY) cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.setupPrimary({ serialization: 'advanced' });
  const live = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  let stopping = false;
  const recentCrashes: number[] = [];

  const fork = () => {
    const worker = cluster.fork();
    const started = Date.now();
    if (onMessage) {
      worker.on('message', (raw: unknown) => {
        const m = asIpcMessage(raw);
        if (m) onMessage(worker, m);
      });
    }
    worker.on('online', () => log.info({ worker: worker.id, pid: worker.process.pid }, 'HTTP worker started'));
    // A message sent as the worker dies fails with EPIPE: without a listener, that error would end
    // this process (and with it every worker). The worker's 'exit' follows and replaces it.
    worker.on('error', (err) => log.warn({ err, worker: worker.id, pid: worker.process.pid }, 'message to an HTTP worker not delivered'));
    worker.once('exit', (code, signal) => {
      if (stopping) return;
      const now = Date.now();
      if (now - started < 10_000) recentCrashes.push(now);
      while (recentCrashes.length && recentCrashes[0] !== undefined && recentCrashes[0] < now - 60_000) recentCrashes.shift();
      // A worker that keeps dying at start is retried slower.
      const delay = Math.min(30_000, recentCrashes.length > 2 ? 1000 * 2 ** (recentCrashes.length - 3) : 0);
      log.error({ worker: worker.id, pid: worker.process.pid, code, signal, restartInMs: delay }, 'HTTP worker died; starting another');
      setTimeout(fork, delay).unref();
    });
  };
  for (let i = 0; i < n; i++) fork();

  return {
    live,
    stop: async () => {
      stopping = true;
      await Promise.all(
        live().map(
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
    },
  };
}

/**
 * WEB_CONCURRENCY=N on a primary: N HTTP workers (http-worker.ts), this process keeping the lock, the
 * database's migrations, the jobs, the outbox worker, the shared limits and the publication to Redis.
 * Live viewers use websockets only in this mode: HTTP long-polling needs every request of a session on
 * one process, which round-robin does not give (realtime/hub.ts).
 */
export function serveWithWorkers(primary: Primary): { stop(): Promise<void> } {
  const { ctx } = primary;
  const workers = forkWorkers(ctx.config.webConcurrency, ctx.log, (worker, m) => {
    if (m.pharos === 'bus') relay(worker, m);
    else if (m.pharos === 'limits') answerLimits(ctx.limits as LocalLimits, worker, m, ctx.log);
  });
  // Messages come once the workers run, after this line.
  const relay = relayAmongWorkers(ctx.bus, () => workers.live());
  const unwire = wire(ctx, primary.consumers);
  return {
    stop: async () => {
      await workers.stop();
      unwire();
    },
  };
}
