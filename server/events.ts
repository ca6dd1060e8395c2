import { EventEmitter } from 'node:events';

/** What changed, emitted once after the transaction that changed it committed. */
export interface PageChanged {
  /** Monotonic id of the events row written in the same transaction. */
  eventId: number;
  cause: string;
  ids: string[];
}

export interface BusEvents {
  'page.changed': [PageChanged];
  /** What the page shows was recomputed without a public change (the daily uptime rollup). */
  'page.recomputed': [];
  /** Outbox rows were committed outside a page change (confirmations, imports, retries). */
  'mail.queued': [];
  /** The worker recorded outcomes for these delivery sources. */
  'mail.progress': [string[]];
  /** Sessions ended (signed out, signed out elsewhere, role changed, account deleted): their live sockets close. */
  'sessions.ended': [SessionsEnded];
}

/** Which sessions: these (by the key stored for them), or every session of a user, or both. */
export interface SessionsEnded {
  sessionKeys?: string[];
  userId?: string;
}

export type BusEvent = keyof BusEvents;
export const BUS_EVENTS: readonly BusEvent[] = ['page.changed', 'page.recomputed', 'mail.queued', 'mail.progress', 'sessions.ended'];

/**
 * Typed event bus: one event, many consumers. In one process that is all; in a cluster every event
 * emitted here also goes to the other processes (`forward`, cluster/relay.ts), which `deliver` it to
 * their own consumers, so that a change committed by any worker reaches every worker's viewers.
 */
export class Bus {
  private readonly emitter = new EventEmitter();
  private forwarder: ((name: BusEvent, args: unknown[]) => void) | undefined;

  constructor() {
    this.emitter.setMaxListeners(50);
  }

  on<K extends BusEvent>(name: K, listener: (...args: BusEvents[K]) => void): () => void {
    this.emitter.on(name, listener as (...args: unknown[]) => void);
    return () => this.emitter.off(name, listener as (...args: unknown[]) => void);
  }

  /** An event of this process: its own consumers, then the other processes'. */
  emit<K extends BusEvent>(name: K, ...args: BusEvents[K]): void {
    this.emitter.emit(name, ...args);
    this.forwarder?.(name, args);
  }

  /** An event from another process: this process's consumers only (it is not sent on again). */
  deliver(name: BusEvent, args: unknown[]): void {
    this.emitter.emit(name, ...args);
  }

  /** Where this process's events also go (at most one relay). */
  forwardTo(forwarder: (name: BusEvent, args: unknown[]) => void): void {
    this.forwarder = forwarder;
  }
}
