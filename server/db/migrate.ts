import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './open.js';

export class MigrationError extends Error {
  constructor(readonly file: string, cause: unknown) {
    super(`Migration ${file} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

const FILE_NAME = /^(\d{3})_[a-z0-9_-]+\.sql$/;

/**
 * Applies migrations/NNN_name.sql in order, each in its own transaction, recording each in
 * schema_migrations. A failing file rolls back to the state before it and throws MigrationError.
 */
export function migrate(db: Db, dir: string): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL
  )`);
  const applied = new Set(
    db.prepare('SELECT version FROM schema_migrations').pluck().all() as string[],
  );
  const files = readdirSync(dir).filter((f) => FILE_NAME.test(f)).sort();
  const done: string[] = [];
  for (const file of files) {
    if (applied.has(file)) continue;
    const sql = readFileSync(join(dir, file), 'utf8');
    const apply = db.transaction(() => {
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(file, new Date().toISOString());
    });
    try {
      apply.immediate();
    } catch (err) {
      throw new MigrationError(file, err);
    }
    done.push(file);
  }
  return done;
}
