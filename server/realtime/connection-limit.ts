import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { Socket } from 'socket.io';
import type { Config } from '../config.js';
import type { Log } from '../log.js';
import { networkOf, proxyTrust } from '../lib/client-address.js';
import { RefusalTally } from '../lib/refusal-tally.js';

/**
 * How long an Engine.IO connection may stay open without joining a namespace (socket.io's connectTimeout;
 * its default is 45 s). A page asks to join as soon as the connection opens; 10 s leaves room for a
 * client or a server slowed by a crowd reconnecting at once (5 s closed thousands of slow joins there).
 */
export const JOIN_WITHIN_MS = 10_000;

/** What engine.io says of a connection (its 'connection' event) and of a handshake that failed ('connection_error'). */
interface EngineConnection {
  request: IncomingMessage;
  once(event: 'close', listener: () => void): unknown;
}
interface Engine {
  on(event: 'connection', listener: (conn: EngineConnection) => void): unknown;
  on(event: 'connection_error', listener: (err: { req: IncomingMessage }) => void): unknown;
}

export interface LiveLimit {
  /** socket.io's allowRequest: takes a place for the client's network, or refuses the handshake. */
  allowRequest(req: IncomingMessage, answer: (message: string | null | undefined, allowed: boolean) => void): void;
  /** Follows the engine's connections: a place is given back when its connection closes or its handshake fails. */
  track(engine: Engine): void;
  /** socket.io middleware: one namespace socket per connection (what is counted is the connection). */
  oneSocketPerConnection(socket: Socket, next: (err?: Error) => void): void;
}

/**
 * At most LIVE_MAX_PER_ADDRESS live connections at once from one client network (IPv6 by /64, TRUST_PROXY
 * honoured), counted at the Engine.IO handshake (socket.io's allowRequest), before a websocket is
 * accepted or a polling session exists: a refused client gets engine.io's refusal there (a 400 to a
 * websocket upgrade, a 403 to polling) and retries over the spread the page was last hinted. The place is taken in the same synchronous step as the check, so a burst of parallel
 * handshakes cannot pass between them, and given back exactly once: when the engine's connection closes,
 * or when the handshake fails after it was allowed (engine.io's connection_error, or the socket closing
 * before the connection exists, as when ws refuses a bad upgrade).
 */
export function liveConnectionLimit(deps: { config: Pick<Config, 'trustProxy' | 'liveMaxPerAddress'>; log: Log }): LiveLimit {
  const open = new Map<string, number>();
  const trusted = proxyTrust(deps.config.trustProxy);
  const refusals = new RefusalTally(deps.log, 'live connections refused: too many from one network', { max: deps.config.liveMaxPerAddress });
  /** Handshakes allowed whose connection does not exist yet: how to hand their place on. */
  const pending = new WeakMap<IncomingMessage, () => () => void>();
  const joined = new WeakSet<object>();

  const settle = (req: IncomingMessage): (() => void) | undefined => {
    const take = pending.get(req);
    pending.delete(req);
    return take?.();
  };
  return {
    allowRequest(req, answer) {
      const network = networkOf(proxyaddr(req, trusted));
      const held = open.get(network) ?? 0;
      if (held >= deps.config.liveMaxPerAddress) {
        refusals.refused('per-address', network);
        return answer('Too many live connections from your network', false);
      }
      open.set(network, held + 1);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        const left = (open.get(network) ?? 1) - 1;
        if (left > 0) open.set(network, left);
        else open.delete(network);
      };
      const closedFirst = () => {
        pending.delete(req);
        release();
      };
      req.socket.once('close', closedFirst);
      pending.set(req, () => {
        req.socket.off('close', closedFirst);
        return release;
      });
      answer(null, true);
    },
    track(engine) {
      engine.on('connection', (conn) => {
        const release = settle(conn.request);
        if (release) conn.once('close', release);
      });
      engine.on('connection_error', (err) => settle(err.req)?.());
    },
    oneSocketPerConnection(socket, next) {
      if (joined.has(socket.conn)) return next(new Error('One live socket per connection'));
      joined.add(socket.conn);
      socket.once('disconnect', () => joined.delete(socket.conn));
      next();
    },
  };
}
