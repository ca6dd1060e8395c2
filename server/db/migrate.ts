import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './open.js';

export class MigrationError extends Error {
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super(`Migration ${file} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

const FILE_NAME = /^(\d{3})_[a-z0-9_-]+\.sql$/;
const REBUILD_MARKER = '-- pharos: rebuilds tables';

/**
 * Applies migrations/NNN_name.sql in order, each in its own transaction, recording each in
 * schema_migrations. A failing file rolls back to the state before it and throws MigrationError.
 */
export function migrate(db: Db, dir: string): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL
  )`);
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as string[]);
  const files = readdirSync(dir)
    .filter((f) => FILE_NAME.test(f))
    .sort();
  const done: string[] = [];
  for (const file of files) {
    if (applied.has(file)) continue;
    const sql = readFileSync(join(dir, file), 'utf8');
    // A migration that rebuilds a table (SQLite cannot alter a CHECK constraint) says so on its first
    // line; foreign keys are then off while it runs, as SQLite's documented procedure asks, and checked
    // before it commits, so a rebuild neither cascades deletes nor leaves a dangling reference.
    const rebuild = sql.startsWith(REBUILD_MARKER);
    const apply = db.transaction(() => {
      db.exec(sql);
      if (rebuild) {
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length) throw new Error(`foreign key check failed: ${JSON.stringify(broken.slice(0, 3))}`);
      }
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(file, new Date().toISOString());
    });
    if (rebuild) db.pragma('foreign_keys = OFF');
    try {
      apply.immediate();
    } catch (err) {
      throw new MigrationError(file, err);
    } finally {
      if (rebuild) db.pragma('foreign_keys = ON');
    }
    done.push(file);
  }
  return done;
}

/** Migration files not recorded as applied (empty when the schema is current). */
export function pendingMigrations(db: Db, dir: string): string[] {
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as string[]);
  return readdirSync(dir)
    .filter((f) => FILE_NAME.test(f) && !applied.has(f))
    .sort();
}
