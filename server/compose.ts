import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.js';
import type { Clock, Context, CoreContext } from './context.js';
import { migrate } from './db/migrate.js';
import { openDatabase } from './db/open.js';
import { PasswordHasher } from './domain/access/passwords.js';
import { RefusalTally } from './domain/access/refusal-tally.js';
import { ensurePageId } from './domain/page/settings.js';
import { Bus } from './events.js';
import { LocalLimits, type SharedLimits } from './lib/limits.js';
import { projectRoot } from './lib/paths.js';
import { createLog, type Log } from './log.js';
import { createTransport } from './mail/transport.js';
import { MailWorker } from './mail/worker.js';
import { Views } from './render/engine.js';
import { createMarkdown } from './render/markdown.js';
import type { LiveHub } from './realtime/hub.js';
import { Snapshot } from './snapshot/snapshot.js';
import type { StaticMirror } from './snapshot/static-mirror.js';

export const systemClock: Clock = { now: () => new Date() };

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

/** Opens and migrates the database and builds the app's parts; wire() then connects them. */
/**
 * `migrate: false`: an HTTP worker of a cluster, whose primary process has migrated the database;
 * `limits`: the shared limits, when another process keeps them (cluster/remote-limits.ts).
 */
export function createContext(config: Config, opts: { clock?: Clock; log?: Log; migrate?: boolean; limits?: SharedLimits } = {}): Context {
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
  const clock = opts.clock ?? systemClock;
  const pageId = ensurePageId(db);
  const bus = new Bus();
  const views = new Views(
    join(root, 'views'),
    config.timeZone,
    createMarkdown({ imageOrigins: [new URL(config.publicUrl).origin, ...config.markdownImageHosts] }),
  );
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
    secret: sessionSecret(config),
    root,
  };
  return { ...core, mail: new MailWorker(core, createTransport(config)) };
}

/** The parts of a serving process besides the core: its live viewers and operators, and the static mirror. */
export interface Consumers {
  live?: LiveHub;
  mirror?: StaticMirror;
}

/**
 * Every consumer of a committed change, in one place. A change is committed through the one write path
 * (domain/write-path.ts) and announced once, after the commit, as 'page.changed'; from there:
 * - the snapshot (the public read model) rebuilds, once for changes committed together;
 * - the outbox worker wakes and sends what the change queued (and what 'mail.queued' says was queued);
 * - every new state of the snapshot goes to the live viewers (realtime/hub.ts) and the static mirror;
 * - delivery progress and ended sessions go to the admin namespace.
 * A serving process also watches the database for changes committed by another process (a script, a
 * restore). Returns the function that undoes it all. Nothing subscribes itself anywhere else.
 */
export function wire(ctx: Context, { live, mirror }: Consumers = {}): () => void {
  const { bus, snapshot, mail } = ctx;
  const off = [
    bus.on('page.changed', (change) => snapshot.changed(change.eventId)),
    bus.on('page.recomputed', () => snapshot.recomputed()),
    bus.on('page.changed', () => mail.wake()),
    bus.on('mail.queued', () => mail.wake()),
  ];
  if (live) {
    off.push(
      snapshot.onChange((state) => live.broadcast(state)),
      bus.on('mail.progress', (sources) => live.admin.progress(sources)),
      bus.on('sessions.ended', (ended) => live.admin.endSessions(ended)),
      snapshot.watch(),
    );
  }
  if (mirror) off.push(snapshot.onChange((state) => mirror.write(state)));
  return () => {
    for (const undo of off) undo();
    snapshot.close();
  };
}
