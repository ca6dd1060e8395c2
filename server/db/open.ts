import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

/** Opens the database with the pragmas every connection needs: durability first. */
export function openDatabase(file: string): Db {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // After a checkpoint the write-ahead log is cut back to 16 MB instead of keeping the largest size a
  // burst once gave it: its size is what a full disk is judged by (db/storage.ts), and room it holds.
  db.pragma(`journal_size_limit = ${16 * 2 ** 20}`);
  cacheStatements(db);
  return db;
}

/** Distinct SQL texts kept prepared; past it the oldest is dropped (texts built with lists of placeholders vary). */
const CACHED_STATEMENTS = 500;

/**
 * `db.prepare(sql)` hands back the statement prepared for the same text before: preparing costs more than
 * running most queries (a sign-in refused under a flood prepared four statements; bench:attack's profile
 * showed preparing at a tenth of a worker's time). A cached statement comes back as freshly prepared
 * (`pluck`, `raw`, `expand` off), and one still being iterated is never handed out twice: that caller gets a new one.
 */
function cacheStatements(db: Db): void {
  const prepare = db.prepare.bind(db) as (sql: string) => Database.Statement;
  const cache = new Map<string, Database.Statement>();
  const cached = (sql: string): Database.Statement => {
    const hit = cache.get(sql);
    if (hit && !hit.busy) {
      // Most recently used last: the first key is the one to drop.
      cache.delete(sql);
      cache.set(sql, hit);
      if (hit.reader) hit.pluck(false).raw(false).expand(false);
      return hit;
    }
    const statement = prepare(sql);
    if (hit) return statement;
    cache.set(sql, statement);
    if (cache.size > CACHED_STATEMENTS) cache.delete(cache.keys().next().value ?? '');
    return statement;
  };
  db.prepare = cached as Db['prepare'];
}
