import { randomBytes } from 'node:crypto';
import type { Db } from '../../db/open.js';

export type FormValues = Record<string, string | string[]>;

/** Never kept: the CSRF token, and any password (a new user's, or the operator's own confirmation). */
const NOT_KEPT = (name: string) => name === '_csrf' || /password/i.test(name);

/** Keeps what an operator typed in a form sent after their session ended (no password); returns its id. */
export function saveForm(db: Db, userId: string, formPath: string, values: FormValues, now: Date): string {
  const id = randomBytes(16).toString('base64url');
  const kept = Object.fromEntries(Object.entries(values).filter(([name]) => !NOT_KEPT(name)));
  db.prepare('INSERT INTO saved_forms (id, user_id, form_path, body, created_at) VALUES (?, ?, ?, ?, ?)').run(
    id,
    userId,
    formPath,
    JSON.stringify(kept),
    now.toISOString(),
  );
  return id;
}

/** Where a saved form is to be shown again, if it is this user's. */
export function savedFormPath(db: Db, id: string, userId: string): string | undefined {
  const row = db.prepare('SELECT user_id, form_path FROM saved_forms WHERE id = ?').get(id) as { user_id: string; form_path: string } | undefined;
  return row?.user_id === userId ? row.form_path : undefined;
}

/** The values of a saved form, once: taken back by the user it belongs to (then deleted). */
export function takeSavedForm(db: Db, id: string, userId: string): FormValues | undefined {
  const row = db.prepare('DELETE FROM saved_forms WHERE id = ? AND user_id = ? RETURNING body').get(id, userId) as { body: string } | undefined;
  if (!row) return undefined;
  const parsed: unknown = JSON.parse(row.body);
  if (!parsed || typeof parsed !== 'object') return undefined;
  const values: FormValues = {};
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof value === 'string') values[name] = value;
    else if (Array.isArray(value)) values[name] = value.filter((v): v is string => typeof v === 'string');
  }
  return values;
}
