import type { Config } from '../config.js';
import { createContext, wire } from '../compose.js';
import { startServer } from '../http/server.js';
import { asIpcMessage, type IpcMessage } from './messages.js';
import { relayFromWorker } from './relay.js';
import { RemoteLimits } from './remote-limits.js';

/**
 * One HTTP worker of a machine (WEB_CONCURRENCY > 1): the status page, the APIs, the admin and live
 * viewers, from its own snapshot of the database the primary process owns. Its bus is relayed through
 * the primary (relay.ts); its limits are the primary's (remote-limits.ts); it runs no job and sends no
 * mail (its outbox worker is never started).
 */
export async function runHttpWorker(config: Config): Promise<void> {
  const send = (m: IpcMessage) => process.send?.(m);
  const limits = new RemoteLimits(send);
  const ctx = createContext(config, { migrate: false, limits });
  const delivered = relayFromWorker(ctx.bus, send);
  const running = await startServer(ctx);
  const unwire = wire(ctx, { live: running.live, admin: running.admin });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // In-flight requests are answered (at most 5 s), then this process ends.
    void running
      .close()
      .then(() => {
        unwire();
        ctx.db.close();
        process.exit(0);
      })
      .catch((err: unknown) => {
        ctx.log.error({ err }, 'error while stopping an HTTP worker');
        process.exit(1);
      });
  };
  process.on('message', (raw: unknown) => {
    const m = asIpcMessage(raw);
    if (m?.pharos === 'bus') delivered(m);
    else if (m?.pharos === 'limits-result') limits.answered(m);
    else if (m?.pharos === 'shutdown') stop();
  });
  // The primary handles the signals of the group; a worker left alone (the primary died) stops too.
  process.on('SIGTERM', () => undefined);
  process.on('SIGINT', () => undefined);
  process.on('disconnect', stop);
}
