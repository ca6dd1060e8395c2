import { createHmac, randomBytes } from 'node:crypto';
import type { Db } from '../../db/open.js';
import { storageProblemOf } from '../../db/storage.js';
import type { Deps } from '../../context.js';
import { auditedWrite } from '../write-path.js';
import type { Actor } from './actors.js';
import { findUser, type User } from './users.js';

/** OWASP ASVS level 2: 30 minutes idle, 12 hours at most. */
export const SESSION_IDLE_MS = 30 * 60 * 1000;
export const SESSION_ABSOLUTE_MS = 12 * 60 * 60 * 1000;

/** Session ids are random; only their HMAC is stored, so a copy of the database opens no session. */
export function sessionKey(secret: string, id: string): string {
  return createHmac('sha256', secret).update(`session:${id}`).digest('hex');
}

export function startSession(db: Db, secret: string, userId: string, now: Date): string {
  const id = randomBytes(32).toString('base64url');
  const at = now.toISOString();
  db.prepare('INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(
    sessionKey(secret, id),
    userId,
    at,
    at,
    new Date(now.getTime() + SESSION_ABSOLUTE_MS).toISOString(),
  );
  return id;
}

/** The signed-in user for a session id, sliding its idle expiry; undefined when unknown or expired. */
export function resumeSession(db: Db, secret: string, id: string, now: Date): User | undefined {
  return resumeSessionOf(db, secret, id, now).user;
}

/**
 * The same, and whose session it was when it has ended idle (its row is kept, refused, until its
 * absolute end): a form sent after the timeout is kept for that operator (http/middleware/lapsed-form.ts).
 */
export function resumeSessionOf(db: Db, secret: string, id: string, now: Date): { user?: User; endedOwner?: string } {
  const key = sessionKey(secret, id);
  const row = db.prepare('SELECT user_id, last_seen_at, expires_at FROM sessions WHERE id_hash = ?').get(key) as
    { user_id: string; last_seen_at: string; expires_at: string } | undefined;
  if (!row) return {};
  const t = now.getTime();
  // Past its absolute end the row goes (here or in the daily purge); idle, it stays (refused) until then,
  // so that a form sent after the idle timeout can still be kept for its operator (http/middleware/lapsed-form.ts).
  if (t >= Date.parse(row.expires_at)) {
    db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(key);
    return { endedOwner: row.user_id };
  }
  if (t - Date.parse(row.last_seen_at) >= SESSION_IDLE_MS) return { endedOwner: row.user_id };
  // Write the last-seen time at most once a minute: reads should not all turn into writes.
  if (t - Date.parse(row.last_seen_at) > 60_000) {
    try {
      db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?').run(now.toISOString(), key);
    } catch (err) {
      // A full disk or a lock held elsewhere must not lock operators out of the pages that say so.
      if (!storageProblemOf(err)) throw err;
    }
  }
  const user = findUser(db, row.user_id);
  return user ? { user } : {};
}

export function endSession(db: Db, secret: string, id: string): void {
  db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(sessionKey(secret, id));
}

/** Ends every session of a user (their role changed: they sign in again with the new one). */
export function endUserSessions(db: Db, userId: string): number {
  return db.prepare('DELETE FROM sessions WHERE user_id = ?').run(userId).changes;
}

/** How recent a password confirmation must be to open lists of personal data (subscribers, deliveries). */
export const CONFIRMATION_FRESH_MS = 10 * 60_000;

/** The session's user has just typed their password again. */
export function markConfirmed(db: Db, secret: string, id: string, now: Date): void {
  db.prepare('UPDATE sessions SET confirmed_at = ? WHERE id_hash = ?').run(now.toISOString(), sessionKey(secret, id));
}

/** Whether the session's user typed their password again within CONFIRMATION_FRESH_MS. */
export function recentlyConfirmed(db: Db, secret: string, id: string, now: Date): boolean {
  const at = db.prepare('SELECT confirmed_at FROM sessions WHERE id_hash = ?').pluck().get(sessionKey(secret, id)) as string | null | undefined;
  return typeof at === 'string' && now.getTime() - Date.parse(at) < CONFIRMATION_FRESH_MS;
}

/** Whether the session a stored key stands for is still live (without counting this as activity). */
export function sessionAlive(db: Db, key: string, now: Date): boolean {
  const row = db.prepare('SELECT last_seen_at, expires_at FROM sessions WHERE id_hash = ?').get(key) as
    { last_seen_at: string; expires_at: string } | undefined;
  return row !== undefined && now.getTime() < Date.parse(row.expires_at) && now.getTime() - Date.parse(row.last_seen_at) < SESSION_IDLE_MS;
}

export interface SessionInfo {
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  current: boolean;
}

/** A user's live sessions, newest first, the one of `currentId` marked. */
export function listSessions(db: Db, secret: string, userId: string, currentId: string, now: Date): SessionInfo[] {
  const current = sessionKey(secret, currentId);
  const idleSince = new Date(now.getTime() - SESSION_IDLE_MS).toISOString();
  return (
    db
      .prepare(
        'SELECT id_hash, created_at, last_seen_at, expires_at FROM sessions WHERE user_id = ? AND expires_at > ? AND last_seen_at > ? ORDER BY created_at DESC',
      )
      .all(userId, now.toISOString(), idleSince) as { id_hash: string; created_at: string; last_seen_at: string; expires_at: string }[]
  ).map(({ id_hash, ...rest }) => ({ ...rest, current: id_hash === current }));
}

/** Ends every session of the user but `keepId`'s ("sign out my other sessions"), audited; returns how many. */
export function endOtherSessions(ctx: Deps<'db' | 'clock' | 'bus' | 'secret'>, actor: Actor, user: User, keepId: string): number {
  const keys = auditedWrite(ctx, { action: 'auth.other_sessions_ended', actor }, () => {
    const ended = ctx.db
      .prepare('DELETE FROM sessions WHERE user_id = ? AND id_hash != ? RETURNING id_hash')
      .pluck()
      .all(user.id, sessionKey(ctx.secret, keepId)) as string[];
    return { result: ended, subject: user.email, detail: { ended: ended.length } };
  });
  ctx.bus.emit('sessions.ended', { sessionKeys: keys });
  return keys.length;
}
