import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { snapshotFastPath } from './fast-path.js';
import type { Context } from '../context.js';
import { startRealtime, type LiveHub } from '../realtime/hub.js';
import type { Io } from '../realtime/types.js';

export interface Running {
  http: Server;
  io: Io;
  /** The live viewers and operators of this server: compose.ts's wire() hands them each change. */
  live: LiveHub;
  port: number;
  close(): Promise<void>;
}

/** HTTP + socket.io, listening. Used by main.ts and by tests that need a real server. */
export async function startServer(ctx: Context, port = ctx.config.port, host = ctx.config.host): Promise<Running> {
  const app = createApp(ctx);
  const fast = snapshotFastPath(ctx);
  const http = createServer((req, res) => {
    if (!fast(req, res)) app(req, res);
  });
  http.keepAliveTimeout = 65_000;
  const realtime = startRealtime(ctx, http);
  const stopTally = ctx.refusals.start();
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    // A deep accept queue: after a restart thousands of viewers reconnect within a second, and a full
    // queue drops their SYNs (each then waits for TCP's retransmission, 1 s, 3 s, 7 s...). The kernel
    // caps it at net.core.somaxconn.
    http.listen({ port, host, backlog: 4096 }, () => {
      http.off('error', reject);
      resolve();
    });
  });
  return {
    http,
    io: realtime.io,
    live: realtime,
    port: (http.address() as AddressInfo).port,
    // Stops accepting, lets requests in flight finish (at most 5 s), then closes what is left.
    close: () =>
      new Promise<void>((resolve) => {
        realtime.stop();
        stopTally();
        // io.close() closes the HTTP server too, and calls back once every connection has ended.
        void realtime.io.close(() => resolve());
        http.closeIdleConnections();
        setTimeout(() => http.closeAllConnections(), 5000).unref();
      }),
  };
}
