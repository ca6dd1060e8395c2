import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { Context } from '../context.js';
import type { LiveState } from '../snapshot/snapshot.js';
import { startAdminProgress } from './admin.js';
import { changesBetween, forViewer } from './payload.js';
import type { AdminServerToClientEvents, ClientToServerEvents, ServerToClientEvents } from './types.js';

// One server-side event map for both namespaces: public viewers only ever get 'page', /admin 'delivery.progress'.
export type Io = Server<ClientToServerEvents, ServerToClientEvents & AdminServerToClientEvents>;

/**
 * socket.io on the app's HTTP server. Every viewer gets what its page lacks of the current state when it
 * connects (so a reconnect after a drop or a restart shows no stale state) and what changed after every
 * committed change.
 */
export function startRealtime(ctx: Context, http: HttpServer): { io: Io; stop: () => void } {
  const io: Io = new Server(http, {
    serveClient: true,
    maxHttpBufferSize: 4096,
    perMessageDeflate: false,
    cors: { origin: false },
  });
  io.on('connection', (socket) => {
    try {
      socket.emit('page', forViewer(ctx.snapshot.current().live, socket.handshake.auth));
    } catch (err) {
      // The viewer keeps the page it has; the next change or reconnection brings the state.
      ctx.log.error({ err }, 'could not send the current state to a new viewer');
    }
  });
  // One payload per change, serialized once by socket.io for every viewer: only what changed. A rebuild
  // that changed nothing viewers see (the periodic refresh, a reminder claimed) is not sent.
  let last: LiveState | undefined = ctx.snapshot.current().live;
  const unsubscribe = ctx.snapshot.onChange((s) => {
    const update = changesBetween(last, s.live);
    last = s.live;
    if (!update) return;
    const started = performance.now();
    io.emit('page', update);
    ctx.log.info({ viewers: io.engine.clientsCount, bytes: JSON.stringify(update).length, ms: Math.round(performance.now() - started) }, 'change sent to live viewers');
  });
  const stopAdmin = startAdminProgress(ctx, io);
  return {
    io,
    // No disconnectSockets() here: a server-side disconnect tells clients not to reconnect, while a closed
    // transport makes them come back (to this process's successor) and receive the current state.
    stop: () => {
      unsubscribe();
      stopAdmin();
    },
  };
}
