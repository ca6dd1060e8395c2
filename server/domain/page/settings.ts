import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../../db/open.js';
import { newId } from '../../lib/ids.js';

export function getSetting(db: Db, key: string): string | undefined {
  return db.prepare('SELECT value FROM settings WHERE key = ?').pluck().get(key) as string | undefined;
}

export function setSetting(db: Db, key: string, value: string): void {
  db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
}

export function deleteSetting(db: Db, key: string): void {
  db.prepare('DELETE FROM settings WHERE key = ?').run(key);
}

/** The page id, made once and kept: `page.id` in the v2 API and `:page_id` in the v1 API. */
export function ensurePageId(db: Db): string {
  const existing = getSetting(db, 'page_id');
  if (existing) return existing;
  const id = newId();
  db.prepare('INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)').run('page_id', id);
  return getSetting(db, 'page_id') ?? id;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** A new one-time setup token; only its hash is kept. */
export function issueSetupToken(db: Db): string {
  const token = randomBytes(24).toString('base64url');
  setSetting(db, 'setup_token_hash', hashToken(token));
  return token;
}

export function checkSetupToken(db: Db, token: string): boolean {
  const stored = getSetting(db, 'setup_token_hash');
  return stored !== undefined && token.length > 0 && stored === hashToken(token);
}
