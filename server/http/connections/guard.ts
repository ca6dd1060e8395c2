import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Config } from '../../config.js';
import { networkOf, proxyPeer } from '../../lib/client-address.js';
import { RefusalTally } from '../../lib/refusal-tally.js';
import type { Log } from '../../log.js';
import { connectionBudget, openFileLimit } from './budget.js';
import { isOperatorPath } from './operator-paths.js';
import { PerNetwork } from './per-network.js';
import { HEADERS_TIMEOUT_MS } from './timeouts.js';

/** A connection taken into the operators' headroom must have sent its request's headers by then. */
const HEADROOM_GRACE_MS = 5_000;
/**
 * Connections one network may hold in the headroom at once: enough for a browser loading an admin page
 * and its files, too few for a handful of addresses to fill the headroom with connections that say nothing.
 */
const HEADROOM_PER_NETWORK = 4;

const BUSY = 'This status page is very busy right now. Please try again in a few seconds.\n';

export interface GuardDeps {
  config: Pick<Config, 'maxConnectionsPerAddress' | 'trustProxy' | 'webConcurrency'>;
  log: Log;
}

export interface ConnectionGuard {
  /**
   * Once every 'request' and 'upgrade' listener is attached (socket.io's servers take theirs at
   * construction): in the headroom, only operators' paths reach them.
   */
  screen(): void;
  /** Closes every upgraded connection (websockets, and an edge's forwarded ones) at once: at shutdown. */
  closeUpgraded(): void;
  /** Logs what is left of the refusals' tally. */
  stop(): void;
}

/**
 * Connection caps for one HTTP server, applied as each connection is accepted, before a byte of it is
 * read (a refused connection is closed at once; nothing is parsed, nothing answered):
 * - MAX_CONNECTIONS_PER_ADDRESS from one network (IPv6 by /64), whatever the connections carry (half-sent
 *   requests, keep-alive, websockets). The peers TRUST_PROXY trusts are exempt: behind a proxy every
 *   connection is the proxy's. With WEB_CONCURRENCY workers on one port, each worker accepts from the
 *   port's queue whatever the address, and holds its share (the cap divided by the workers, rounded up):
 *   the machine holds at most the cap from one network, and at least one share of it.
 * - A total below the process's descriptor limit (budget.ts). Past the public's share a connection is
 *   still accepted, into the operators' headroom (at most 4 per network): there only operators' paths
 *   are served (operator-paths.ts; one request, then the connection is closed), a public request gets a
 *   short 503, and a connection that sends no request within 5 s is closed. Past the total, node:http's
 *   maxConnections closes connections as they are accepted: the process never runs out of descriptors
 *   for its database, logs and Redis.
 * - A connection that sends no request within 10 s is closed (node:http's headersTimeout only counts
 *   from a request's first byte).
 */
export function guardConnections(http: Server, deps: GuardDeps): ConnectionGuard {
  const { config } = deps;
  const budget = connectionBudget(openFileLimit());
  const perAddress = Math.max(1, Math.ceil(config.maxConnectionsPerAddress / Math.max(1, config.webConcurrency)));
  const proxy = proxyPeer(config.trustProxy);
  const refusals = new RefusalTally(deps.log, 'connections refused (a flood, or a client holding too many)', {
    pid: process.pid,
    perAddress,
    total: budget.total,
    public: budget.public,
  });
  const held = new PerNetwork();
  const heldInHeadroom = new PerNetwork();
  /** Connections until their first request: closed if none comes (node:http's headersTimeout counts from the first byte). */
  const waiting = new WeakMap<Duplex, NodeJS.Timeout>();
  const headroom = new WeakSet<Duplex>();
  const upgraded = new Set<Duplex>();
  let publicOpen = 0;

  /** Why a connection from this network is refused now, if it is. */
  const refusal = (network: string, inHeadroom: boolean): string | undefined => {
    if (held.count(network) >= perAddress) return 'per-address';
    if (inHeadroom && heldInHeadroom.count(network) >= HEADROOM_PER_NETWORK) return 'per-address-in-headroom';
    return undefined;
  };

  http.maxConnections = budget.total;
  http.on('drop', () => refusals.refused('total'));
  http.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    if (!address) return void socket.destroy();
    const network = proxy(address) ? undefined : networkOf(address);
    const inHeadroom = publicOpen >= budget.public;
    const refused = network === undefined ? undefined : refusal(network, inHeadroom);
    if (refused) {
      refusals.refused(refused, network);
      return void socket.destroy();
    }
    const counts = inHeadroom ? [held, heldInHeadroom] : [held];
    if (network !== undefined) for (const count of counts) count.add(network);
    if (inHeadroom) headroom.add(socket);
    else publicOpen++;
    const silent = () => {
      refusals.refused(inHeadroom ? 'no-request-in-headroom' : 'no-request', network);
      socket.destroy();
    };
    waiting.set(socket, setTimeout(silent, inHeadroom ? HEADROOM_GRACE_MS : HEADERS_TIMEOUT_MS));
    socket.once('close', () => {
      clearTimeout(waiting.get(socket));
      if (!inHeadroom) publicOpen--;
      if (network !== undefined) for (const count of counts) count.remove(network);
    });
  });

  /** Whether a request (or upgrade) on this socket may go on: anything outside the headroom, operators' paths in it. */
  const admitted = (socket: Duplex, url: string | undefined): boolean => {
    const timer = waiting.get(socket);
    if (timer) {
      clearTimeout(timer);
      waiting.delete(socket);
    }
    if (!headroom.has(socket) || isOperatorPath(url)) return true;
    refusals.refused('public-in-headroom');
    return false;
  };

  return {
    screen() {
      type OnRequest = (req: IncomingMessage, res: ServerResponse) => void;
      type OnUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
      const requests = http.listeners('request') as OnRequest[];
      const upgrades = http.listeners('upgrade') as OnUpgrade[];
      http.removeAllListeners('request');
      http.removeAllListeners('upgrade');
      http.on('request', (req: IncomingMessage, res: ServerResponse) => {
        const inHeadroom = headroom.has(req.socket);
        if (!admitted(req.socket, req.url)) {
          res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'Retry-After': '5', Connection: 'close' });
          res.end(BUSY);
          return;
        }
        // The headroom is for a moment's work: the connection is not kept alive.
        if (inHeadroom) res.setHeader('Connection', 'close');
        for (const listener of requests) listener.call(http, req, res);
      });
      http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        if (!admitted(socket, req.url)) return void socket.destroy();
        upgraded.add(socket);
        socket.once('close', () => upgraded.delete(socket));
        for (const listener of upgrades) listener.call(http, req, socket, head);
      });
    },
    closeUpgraded() {
      for (const socket of upgraded) socket.destroy();
    },
    stop: () => refusals.flush(),
  };
}
