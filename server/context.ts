import type { Config } from './config.js';
import type { Db } from './db/open.js';
import type { StorageHealth } from './db/storage.js';
import type { PasswordHasher } from './domain/access/passwords.js';
import type { RefusalTally } from './domain/access/refusal-tally.js';
import type { Bus } from './events.js';
import type { SharedLimits } from './lib/limits.js';
import type { Log } from './log.js';
import type { MailWorker } from './outbox/mail/worker.js';
import type { HookWorker } from './outbox/hooks/worker.js';
import type { Views } from './render/engine.js';
import type { Snapshot } from './snapshot/snapshot.js';

/** Types only: what the app's parts are handed. compose.ts builds them. */

export interface Clock {
  now(): Date;
}

/** The context's clock: it also wakes what waits for a time (the outbox at its next due delivery). */
export interface AlarmClock extends Clock {
  /**
   * Calls `fn` once, `ms` from now by this clock; returns what cancels it. The system clock uses a timer
   * that never keeps a stopping process alive; a test's clock fires it when moved past that time.
   */
  after(ms: number, fn: () => void): () => void;
}

/** The dependency bag passed down: no module reaches for a singleton. */
export interface Context {
  config: Config;
  db: Db;
  clock: AlarmClock;
  log: Log;
  bus: Bus;
  views: Views;
  snapshot: Snapshot;
  pageId: string;
  /** The outbox's email worker: started by the primary (and test helpers), woken after commits that queue mail. */
  mail: MailWorker;
  /** The outbox's webhook and chat worker, started and woken with the mail. */
  hooks: HookWorker;
  /** Hashes and checks passwords, a bounded number at a time. */
  passwords: PasswordHasher;
  /** What every HTTP process counts together: password attempts, sign-ups and wrong links per network... */
  limits: SharedLimits;
  /** Anonymous refusals, counted per network and minute and written as one audit row each. */
  refusals: RefusalTally;
  /** Whether changes can be stored now (disk space, a read-only file system, the write lock), probed at most once a second. */
  storage: StorageHealth;
  /** Signs session ids and CSRF tokens. */
  secret: string;
  root: string;
}

/** Just what a function uses of the context: domain functions say which parts they need. */
export type Deps<K extends keyof Context> = Pick<Context, K>;

/** Everything but the workers built on it. */
export type CoreContext = Omit<Context, 'mail' | 'hooks'>;
