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

/** Typed in-process event bus: one event, many consumers. */
export class Bus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(50);
  }

  on<K extends keyof BusEvents>(name: K, listener: (...args: BusEvents[K]) => void): () => void {
    this.emitter.on(name, listener as (...args: unknown[]) => void);
    return () => this.emitter.off(name, listener as (...args: unknown[]) => void);
  }

  emit<K extends keyof BusEvents>(name: K, ...args: BusEvents[K]): void {
    this.emitter.emit(name, ...args);
  }
}
