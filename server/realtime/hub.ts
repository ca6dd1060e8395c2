import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { Context } from '../context.js';
import type { LiveState, SnapshotState } from '../snapshot/snapshot.js';
import { startAdminProgress, type AdminProgress } from './admin.js';
import { limitConnections } from './connection-limit.js';
import { changesBetween, forViewer, patchesRows } from './payload.js';
import type { Io } from './types.js';

/** Rooms: pages that patch component rows (public/js/status.js), and clients that replace whole regions. */
const ROWS = 'rows';
const REGIONS_ONLY = 'regions';

/**
 * socket.io on the app's HTTP server. Every viewer gets what its page lacks of the current state when it
 * connects (so a reconnect after a drop or a restart shows no stale state) and what changed after every
 * committed change.
 */
export interface LiveHub {
  io: Io;
  /** A new state of the page: each viewer is sent what changed (compose.ts's wire() calls it). */
  broadcast(state: SnapshotState): void;
  /** The admin namespace: delivery progress, and sessions that ended. */
  admin: AdminProgress;
  stop(): void;
}

export function startRealtime(ctx: Context, http: HttpServer): LiveHub {
  const io: Io = new Server(http, {
    serveClient: true,
    // HTTP long-polling needs every request of a session on one process: with several HTTP workers behind
    // one port (round robin), live viewers use websockets only. The page asks for a websocket first anyway.
    transports: ctx.config.webConcurrency > 1 ? ['websocket'] : ['polling', 'websocket'],
    maxHttpBufferSize: 4096,
    perMessageDeflate: false,
    cors: { origin: false },
  });
  // A viewer joins its room only once it has been sent the current state: a change broadcast while it
  // connects (current() may rebuild here) is already in that state and must not reach it as a patch.
  io.use(limitConnections(ctx));
  io.on('connection', (socket) => {
    const rows = patchesRows(socket.handshake.auth);
    try {
      socket.emit('page', forViewer(ctx.snapshot.current().live, socket.handshake.auth));
      void socket.join(rows ? ROWS : REGIONS_ONLY);
    } catch (err) {
      // Without the current state it could not apply what follows: it reconnects and asks again.
      ctx.log.error({ err }, 'could not send the current state to a new viewer');
      socket.disconnect(true);
    }
  });
  // One payload per change and kind of client, serialized once by socket.io for all of them: only what
  // changed. A rebuild that changed nothing viewers see (the periodic refresh) is not sent.
  let last: LiveState | undefined = ctx.snapshot.current().live;
  const broadcast = (s: SnapshotState) => {
    const update = changesBetween(last, s.live);
    const whole = changesBetween(last, s.live, { rows: false });
    last = s.live;
    if (!update || !whole) return;
    const started = performance.now();
    io.to(ROWS).emit('page', update);
    io.to(REGIONS_ONLY).emit('page', whole);
    ctx.log.info(
      { viewers: io.engine.clientsCount, bytes: JSON.stringify(update).length, ms: Math.round(performance.now() - started) },
      'change sent to live viewers',
    );
  };
  const admin = startAdminProgress(ctx, io);
  return {
    io,
    broadcast,
    admin,
    // No disconnectSockets() here: a server-side disconnect tells clients not to reconnect, while a closed
    // transport makes them come back (to this process's successor) and receive the current state.
    stop: () => admin.stop(),
  };
}
