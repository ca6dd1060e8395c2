import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { Config } from '../config.js';
import type { Log } from '../log.js';
import type { Body, LiveState, ReadModel } from '../snapshot/snapshot.js';
import { JOIN_WITHIN_MS, liveConnectionLimit } from './connection-limit.js';
import { askedIncident, incidentBroadcaster, incidentFragment, incidentRoom } from './incident-rooms.js';
import { changesBetween, forViewer, patchesRows } from './payload.js';
import { retryHints } from './retry.js';
import type { Io } from './types.js';

/** Rooms: pages that patch component rows (public/js/status.js), and clients that replace whole regions. */
const ROWS = 'rows';
const REGIONS_ONLY = 'regions';

/**
 * The public viewers' socket.io server on an HTTP server. Every viewer gets what its page lacks of the
 * current state when it connects (so a reconnect after a drop or a restart shows no stale state) and
 * what changed after every new state. The state comes from a read model: the snapshot on the primary,
 * its replica on an edge (cluster/replication).
 */
export interface LiveHub {
  io: Io;
  /** A new state of the page: each viewer is sent what changed (compose.ts's wire() calls it). */
  broadcast(state: { version: number; live: LiveState; bodies: Map<string, Body> }): void;
  /** Before a shutdown closes every connection: each viewer is told how widely to spread its return. */
  farewell(): void;
}

export interface LiveDeps {
  config: Pick<Config, 'webConcurrency' | 'trustProxy' | 'liveMaxPerAddress'>;
  log: Log;
  snapshot: ReadModel;
}

export function startRealtime(deps: LiveDeps, http: HttpServer): LiveHub {
  const { config, log, snapshot } = deps;
  const limit = liveConnectionLimit(deps);
  const io: Io = new Server(http, {
    serveClient: true,
    // HTTP long-polling needs every request of a session on one process: with several HTTP workers behind
    // one port (each accepting for itself), live viewers use websockets only. The page asks for a websocket first anyway.
    transports: config.webConcurrency > 1 ? ['websocket'] : ['polling', 'websocket'],
    maxHttpBufferSize: 4096,
    perMessageDeflate: false,
    cors: { origin: false },
    // Upgrades on other paths are someone else's (the admin's server, an edge's proxy to its primary).
    destroyUpgrade: false,
    // Counted and refused at the handshake, before a websocket is accepted (connection-limit.ts)...
    allowRequest: (req, answer) => limit.allowRequest(req, answer),
    // ...and a connection that joins no namespace is closed soon, not after socket.io's 45 s.
    connectTimeout: JOIN_WITHIN_MS,
  });
  limit.track(io.engine);
  io.use((socket, next) => limit.oneSocketPerConnection(socket, next));
  // Without a state (an edge that has not reached Redis yet) a viewer is refused and retries with backoff:
  // a server-side disconnect would tell it never to come back.
  io.use((_socket, next) => {
    try {
      snapshot.current();
      next();
    } catch {
      next(new Error('The status page is starting; retrying'));
    }
  });
  // A viewer joins its room only once it has been sent the current state: a change broadcast while it
  // connects (current() may rebuild here) is already in that state and must not reach it as a patch.
  const incidents = incidentBroadcaster(io);
  const hints = retryHints(io);
  io.on('connection', (socket) => {
    // The page of one incident (/incidents/:id): its live region, and then its changes only.
    const incident = askedIncident(socket.handshake.auth);
    if (incident) {
      try {
        const state = snapshot.current();
        const fragment = incidentFragment(state.bodies, incident.id);
        const retry = hints.joined();
        if (fragment) {
          const { html, ...rest } = fragment;
          socket.emit('incident', { version: state.version, id: incident.id, ...rest, ...(incident.hash === fragment.hash ? {} : { html }), retry });
        } else socket.emit('retry', retry);
        void socket.join(incidentRoom(incident.id));
        if (fragment) incidents.joined(incident.id, fragment.hash);
      } catch (err) {
        log.error({ err }, 'could not send the current state to a new viewer');
        socket.disconnect(true);
      }
      return;
    }
    const rows = patchesRows(socket.handshake.auth);
    try {
      socket.emit('page', { ...forViewer(snapshot.current().live, socket.handshake.auth), retry: hints.joined() });
      void socket.join(rows ? ROWS : REGIONS_ONLY);
    } catch (err) {
      // Without the current state it could not apply what follows: it reconnects and asks again.
      log.error({ err }, 'could not send the current state to a new viewer');
      socket.disconnect(true);
    }
  });
  // One payload per change and kind of client, serialized once by socket.io for all of them: only what
  // changed. A rebuild that changed nothing viewers see (the periodic refresh) is not sent.
  let last: LiveState | undefined;
  try {
    last = snapshot.current().live;
  } catch {
    // No state yet (an edge starting): the first one is sent whole to whoever is connected by then.
  }
  const broadcast = (s: { version: number; live: LiveState; bodies: Map<string, Body> }) => {
    incidents.broadcast(s);
    const update = changesBetween(last, s.live);
    const whole = changesBetween(last, s.live, { rows: false });
    last = s.live;
    if (!update || !whole) return;
    const started = performance.now();
    io.to(ROWS).emit('page', update);
    io.to(REGIONS_ONLY).emit('page', whole);
    log.info(
      { viewers: io.engine.clientsCount, bytes: JSON.stringify(update).length, ms: Math.round(performance.now() - started) },
      'change sent to live viewers',
    );
  };
  // No disconnectSockets() at shutdown: a server-side disconnect tells clients not to reconnect, while a
  // closed transport makes them come back (to this process's successor) and receive the current state.
  return { io, broadcast, farewell: () => hints.farewell() };
}
