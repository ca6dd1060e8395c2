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
  return db;
}
