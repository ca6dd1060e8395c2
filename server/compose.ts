import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.js';
import type { AlarmClock, Clock, Context, CoreContext } from './context.js';
import { migrate } from './db/migrate.js';
import { openDatabase } from './db/open.js';
import { StorageHealth } from './db/storage.js';
import { PasswordHasher } from './domain/access/passwords.js';
import { RefusalTally } from './domain/access/refusal-tally.js';
import { ensurePageId } from './domain/page/settings.js';
import { Bus } from './events.js';
import { LocalLimits, type SharedLimits } from './lib/limits.js';
import { projectRoot } from './lib/paths.js';
import { createLog, type Log } from './log.js';
import { createTransport } from './outbox/mail/transport.js';
import { MailWorker } from './outbox/mail/worker.js';
import { HookWorker } from './outbox/hooks/worker.js';
import { Views } from './render/engine.js';
import { createMarkdown } from './render/markdown.js';
import type { AdminProgress } from './realtime/admin.js';
import type { Publisher } from './cluster/replication/publisher.js';
import type { Replica } from './cluster/replication/replica.js';
import type { LiveHub } from './realtime/hub.js';
import { Snapshot } from './snapshot/snapshot.js';
import type { StaticMirror } from './snapshot/static-mirror.js';

/** setTimeout's longest delay; a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: AlarmClock = {
  now: () => new Date(),
  after: (ms, fn) => {
    const timer = setTimeout(fn, Math.min(Math.max(ms, 0), MAX_TIMER_MS));
    // A pending wake-up never keeps a stopping process alive.
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/**
 * A clock that only tells time (a script writing history with a moving clock) schedules on real timers:
 * the delay is the same by any clock.
 */
function alarmClock(clock: Clock & Partial<AlarmClock>): AlarmClock {
  return { now: () => clock.now(), after: (ms, fn) => (clock.after ? clock.after(ms, fn) : systemClock.after(ms, fn)) };
}

/** SESSION_SECRET, or one generated once and kept in DATA_DIR so that sessions survive restarts. */
function sessionSecret(config: Config): string {
  if (config.sessionSecret) return config.sessionSecret;
  const file = join(config.dataDir, 'session-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('base64url');
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  return secret;
}

/** The templates, with the Markdown renderer allowed its image hosts. */
export function createViews(config: Config, root = projectRoot()): Views {
  return new Views(join(root, 'views'), createMarkdown({ imageOrigins: [new URL(config.publicUrl).origin, ...config.markdownImageHosts] }));
}

/**
 * Opens and migrates the database and builds the app's parts; wire() then connects them.
 * `migrate: false`: an HTTP worker of a cluster, whose primary process has migrated the database;
 * `limits`: the shared limits, when another process keeps them (cluster/remote-limits.ts).
 */
export function createContext(
  config: Config,
  opts: { clock?: Clock & Partial<AlarmClock>; log?: Log; migrate?: boolean; limits?: SharedLimits } = {},
): Context {
  const root = projectRoot();
  const log = opts.log ?? createLog(config.logLevel);
  const db = openDatabase(config.databaseFile);
  let applied: string[] = [];
  try {
    if (opts.migrate !== false) applied = migrate(db, join(root, 'migrations'));
  } catch (err) {
    db.close();
    throw err;
  }
  if (applied.length) log.info({ migrations: applied }, `applied ${applied.length} migration(s)`);
  const clock = opts.clock ? alarmClock(opts.clock) : systemClock;
  const pageId = ensurePageId(db);
  const bus = new Bus();
  const views = createViews(config, root);
  const snapshot = new Snapshot({ db, views, config, pageId, clock, log });
  const refusals = new RefusalTally(db, clock, (err) => log.error({ err }, 'could not write tallied refusals to the audit log'));
  const core: CoreContext = {
    config,
    db,
    clock,
    log,
    bus,
    views,
    snapshot,
    pageId,
    passwords: new PasswordHasher(),
    limits: opts.limits ?? new LocalLimits(),
    refusals,
    storage: new StorageHealth({ db, clock, log, databaseFile: config.databaseFile }),
    secret: sessionSecret(config),
    root,
  };
  return { ...core, mail: new MailWorker(core, createTransport(config)), hooks: new HookWorker(core) };
}

/**
 * The parts of a process besides the core that consume changes: its live viewers and operators, the
 * static mirror, and the publisher of the read model to Redis (the primary's, when REDIS_URL is set).
 */
export interface Consumers {
  live?: LiveHub;
  admin?: AdminProgress;
  mirror?: StaticMirror;
  publisher?: Publisher;
}

/**
 * Every consumer of a committed change, in one place. A change is committed through the one write path
 * (domain/write-path.ts) and announced once, after the commit, as 'page.changed'; from there:
 * - the snapshot (the public read model) rebuilds, once for changes committed together;
 * - the outbox workers (mail; webhooks and chat) wake and send what the change queued (and what 'mail.queued' says was queued);
 * - every new state of the snapshot goes to the live viewers (realtime/hub.ts) and the static mirror;
 * - delivery progress and ended sessions go to the operators' live connections;
 * - with REDIS_URL, every new state is published to Redis for the edges (wireEdge below).
 * A serving process also watches the database for changes committed by another process (a script, a
 * restore). Returns the function that undoes it all. Nothing subscribes itself anywhere else.
 */
export function wire(ctx: Context, { live, admin, mirror, publisher }: Consumers = {}): () => void {
  const { bus, snapshot, mail, hooks } = ctx;
  const off = [
    bus.on('page.changed', (change) => snapshot.changed(change.eventId)),
    bus.on('page.recomputed', () => snapshot.recomputed()),
    bus.on('page.changed', () => mail.wake()),
    bus.on('page.changed', () => hooks.wake()),
    bus.on('mail.queued', () => mail.wake()),
    bus.on('mail.queued', () => hooks.wake()),
  ];
  if (live)
    off.push(
      snapshot.onChange((state) => live.broadcast(state)),
      snapshot.watch(),
    );
  if (admin) {
    off.push(
      bus.on('mail.progress', (sources) => admin.progress(sources)),
      bus.on('sessions.ended', (ended) => admin.endSessions(ended)),
    );
  }
  if (mirror) off.push(snapshot.onChange((state) => mirror.write(state)));
  if (publisher) {
    off.push(snapshot.onChange((state) => publisher.publish(state)));
    // Redis gets the state as it is now, then every new one.
    try {
      publisher.publish(snapshot.current());
    } catch (err) {
      ctx.log.error({ err }, 'no state to publish to Redis yet');
    }
  }
  return () => {
    for (const undo of off) undo();
    snapshot.close();
  };
}

/**
 * An edge's one consumer (PHAROS_ROLE=edge): every state replicated from Redis goes to its live viewers.
 * Everything else an edge does not serve is forwarded to its primary, where wire() above applies.
 */
export function wireEdge(replica: Replica, live: LiveHub): () => void {
  return replica.onChange((state) => live.broadcast(state));
}
