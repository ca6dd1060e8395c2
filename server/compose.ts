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
import { LoginThrottle } from './lib/login-throttle.js';
import { projectRoot } from './lib/paths.js';
import { createLog, type Log } from './log.js';
import { createTransport } from './mail/transport.js';
import { MailWorker } from './mail/worker.js';
import { Views } from './render/engine.js';
import { createMarkdown } from './render/markdown.js';
import { Snapshot } from './snapshot/snapshot.js';

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

/** Opens and migrates the database and wires the consumers of 'page.changed'. */
export function createContext(config: Config, opts: { clock?: Clock; log?: Log } = {}): Context {
  const root = projectRoot();
  const log = opts.log ?? createLog(config.logLevel);
  const db = openDatabase(config.databaseFile);
  let applied: string[];
  try {
    applied = migrate(db, join(root, 'migrations'));
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
  snapshot.attach(bus);
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
    passwordAttempts: new LoginThrottle(),
    refusals,
    secret: sessionSecret(config),
    root,
  };
  return { ...core, mail: new MailWorker(core, createTransport(config)) };
}
