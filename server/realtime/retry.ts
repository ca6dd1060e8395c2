import type { Socket } from 'socket.io';
import type { Io } from './types.js';

/**
 * Live connections one process takes back per second when its viewers all return at once (a restart, a
 * worker's death): each a websocket handshake, a socket.io connection and the page's current state
 * (docs/benchmarks.md, "fanout").
 */
export const RECONNECTS_PER_SECOND = 2_500;
const STEP_MS = 1_000;
const MAX_MS = 60_000;

/** How widely this process's viewers should spread their reconnection: its viewers at that rate, in whole seconds. */
export function spreadFor(viewers: number): number {
  return Math.min(MAX_MS, Math.max(1, Math.ceil(viewers / RECONNECTS_PER_SECOND)) * STEP_MS);
}

export interface RetryHints {
  /** A viewer joined: it is told the spread (and every viewer is, when the spread grew a step). */
  joined(socket: Socket): void;
  /** The process is about to close every connection: every viewer is told the spread for all of them. */
  farewell(): void;
}

/**
 * The hint each viewer's script reconnects by (public/js/status.js): after its connection drops, a first
 * attempt at a random moment within `spread` ms, then one every `spread` ms. Whenever the server comes
 * back, its viewers then arrive spread evenly over that time, at the rate it takes them, instead of all
 * within the same second (more SYNs than the kernel's queues hold, each dropped one retried 1, 3, 7 s
 * later by TCP). A refused attempt while the server is down costs nothing but a reset.
 */
export function retryHints(io: Io): RetryHints {
  let told = spreadFor(0);
  return {
    joined(socket) {
      const spread = spreadFor(io.engine.clientsCount);
      if (spread > told) {
        told = spread;
        io.emit('retry', { spread });
      } else socket.emit('retry', { spread: told });
    },
    farewell() {
      io.emit('retry', { spread: spreadFor(io.engine.clientsCount) });
    },
  };
}
