import type { Io, RetryHint } from './types.js';

/**
 * Live connections one process takes back per second when its viewers all return at once (a restart, a
 * worker's death): each a websocket handshake, a socket.io connection and the page's current state
 * (docs/benchmarks.md, "fanout").
 */
export const RECONNECTS_PER_SECOND = 2_500;
const STEP_MS = 1_000;
const MAX_MS = 60_000;
/** A grown spread is told to the viewers already there once the crowd has settled, not during its arrival. */
const SETTLE_MS = 10_000;

/** How widely this process's viewers should spread their reconnection: its viewers at that rate, in whole seconds. */
export function spreadFor(viewers: number): number {
  return Math.min(MAX_MS, Math.max(1, Math.ceil(viewers / RECONNECTS_PER_SECOND)) * STEP_MS);
}

export interface RetryHints {
  /** What a viewer joining now is told, with its first state. */
  joined(): RetryHint;
  /** The process is about to close every connection: every viewer is told the spread for all of them. */
  farewell(): void;
}

/**
 * The hint each viewer's script reconnects by (public/js/status.js): after its connection drops, a first
 * attempt at a random moment within `spread` ms, then one every `spread` ms. Whenever the server comes
 * back, its viewers then arrive spread evenly over that time, at the rate it takes them, instead of all
 * within the same second (more SYNs than the kernel's queues hold, each dropped one sent again by TCP
 * 1, 3, 7 s later). An attempt while the server is down costs nothing but a reset.
 *
 * A joining viewer gets the spread for the viewers there with its first state (no message of its own);
 * those who joined when there were fewer are told the grown spread 10 s after the crowd stops growing
 * (one message each, not one per step while thousands arrive); all are told again before a shutdown.
 */
export function retryHints(io: Io): RetryHints {
  let told = spreadFor(0);
  let timer: NodeJS.Timeout | undefined;
  const tellAll = () => {
    timer = undefined;
    io.emit('retry', { spread: told });
  };
  return {
    joined() {
      const spread = spreadFor(io.engine.clientsCount);
      if (spread > told) {
        told = spread;
        if (timer) clearTimeout(timer);
        timer = setTimeout(tellAll, SETTLE_MS).unref();
      }
      return { spread: told };
    },
    farewell() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      io.emit('retry', { spread: spreadFor(io.engine.clientsCount) });
    },
  };
}
