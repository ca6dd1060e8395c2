import { portError } from '../lib/port.js';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { snapshotFastPath } from './fast-path.js';
import type { Context } from '../context.js';
import { startAdminProgress, type AdminProgress } from '../realtime/admin.js';
import { startRealtime, type LiveHub } from '../realtime/hub.js';
import { ADMIN_LIVE_PATH, type Io } from '../realtime/types.js';
import { guardConnections, type ConnectionGuard, type GuardDeps } from './connections/guard.js';
import { SERVER_OPTIONS, UPGRADED_GRACE_MS } from './connections/timeouts.js';

export interface Running {
  http: Server;
  io: Io;
  /** The live viewers of this server: compose.ts's wire() hands them each change. */
  live: LiveHub;
  /** Its signed-in operators' socket.io server: delivery progress, ended sessions. */
  admin: AdminProgress;
  port: number;
  close(): Promise<void>;
}

/**
 * A node:http server as every Pharos process runs one (one process, each HTTP worker, each edge and its
 * workers): its timeouts (connections/timeouts.ts) and its connection caps (connections/guard.ts).
 */
export function createPharosServer(deps: GuardDeps, handler: RequestListener): { http: Server; guard: ConnectionGuard } {
  const http = createServer(SERVER_OPTIONS, handler);
  return { http, guard: guardConnections(http, deps) };
}

/**
 * Listens with a deep accept queue: after a restart thousands of viewers reconnect within a second, and
 * a full queue drops their SYNs (each then waits for TCP's retransmission, 1 s, 3 s, 7 s...). The
 * kernel caps it at net.core.somaxconn.
 */
export function listen(http: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (err: Error) => reject(portError(err, host, port) ?? err);
    http.once('error', failed);
    http.listen({ port, host, backlog: 4096 }, () => {
      http.off('error', failed);
      resolve();
    });
  });
}

/** The paths of the two socket.io servers: public viewers, and operators under /admin. */
export const LIVE_PATH = '/socket.io/';

/**
 * WebSocket upgrades: the public socket.io server takes its own, the operators' go to the admin's
 * socket.io server here or, on an edge, `forwardAdmin` (to the primary); any other is closed at once.
 */
export function routeUpgrades(http: Server, forwardAdmin?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void): void {
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = req.url ?? '';
    if (url.startsWith(LIVE_PATH)) return;
    if (url.startsWith(ADMIN_LIVE_PATH)) return forwardAdmin?.(req, socket, head);
    socket.destroy();
  });
}

/** HTTP + socket.io, listening. Used by main.ts and by tests that need a real server. */
export async function startServer(ctx: Context, port = ctx.config.port, host = ctx.config.host): Promise<Running> {
  const app = createApp(ctx);
  const fast = snapshotFastPath(ctx);
  const { http, guard } = createPharosServer(ctx, (req, res) => {
    if (!fast(req, res)) app(req, res);
  });
  const realtime = startRealtime(ctx, http);
  const admin = startAdminProgress(ctx, http);
  routeUpgrades(http);
  guard.screen();
  const stopTally = ctx.refusals.start();
  await listen(http, port, host);
  return {
    http,
    io: realtime.io,
    live: realtime,
    admin,
    port: (http.address() as AddressInfo).port,
    // Stops accepting, tells each viewer how widely to spread its return, lets requests in flight finish
    // (at most 5 s), then closes what is left. Websockets get a moment (UPGRADED_GRACE_MS).
    close: () =>
      new Promise<void>((resolve) => {
        admin.stop();
        stopTally();
        guard.stop();
        realtime.farewell();
        // io.close() closes the HTTP server too, and calls back once every connection has ended (the
        // admin's server then finds it closed already).
        void realtime.io.close(() => resolve());
        void admin.io.close();
        http.closeIdleConnections();
        setTimeout(() => guard.closeUpgraded(), UPGRADED_GRACE_MS).unref();
        setTimeout(() => http.closeAllConnections(), 5000).unref();
      }),
  };
}
