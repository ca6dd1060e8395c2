import type { Db } from '../db/open.js';
import { actorLabel, type Actor } from './actors.js';

/** Appends to the audit log (inside the caller's transaction when there is one); `ip`: the client's address. */
export function audit(db: Db, actor: Actor, action: string, subject = '', detail: unknown = '', now = new Date(), ip = ''): void {
  db.prepare('INSERT INTO audit_log (at, actor, action, subject, detail, ip) VALUES (?, ?, ?, ?, ?, ?)').run(
    now.toISOString(),
    actorLabel(actor),
    action,
    subject,
    typeof detail === 'string' ? detail : JSON.stringify(detail),
    ip,
  );
}
