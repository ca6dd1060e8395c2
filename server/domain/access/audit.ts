import type { Db } from '../../db/open.js';
import { actorIp, actorLabel, type Actor } from './actors.js';
import { csvCell } from '../../lib/csv.js';

/** Appends to the audit log (inside the caller's transaction when there is one); `ip`: the client's address. */
export function audit(db: Db, actor: Actor, action: string, subject = '', detail: unknown = '', now = new Date(), ip = actorIp(actor)): void {
  db.prepare('INSERT INTO audit_log (at, actor, action, subject, detail, ip) VALUES (?, ?, ?, ?, ?, ?)').run(
    now.toISOString(),
    actorLabel(actor),
    action,
    subject,
    typeof detail === 'string' ? detail : JSON.stringify(detail),
    ip,
  );
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  detail: string;
  ip: string;
}

export interface AuditFilter {
  /** An action, or a family of them: "auth" matches auth.signed_in, auth.refused... */
  action?: string;
  /** Part of the actor's label (an email, an API key's name, "system"). */
  actor?: string;
  /** Part of the subject or the detail. */
  text?: string;
  /** ISO instants, inclusive from, exclusive to. */
  from?: string;
  to?: string;
}

function where(filter: AuditFilter): { sql: string; params: Record<string, string> } {
  const clauses: string[] = [];
  const params: Record<string, string> = {};
  if (filter.action) {
    clauses.push("(action = @action OR action LIKE @actionFamily ESCAPE '\\')");
    params.action = filter.action;
    params.actionFamily = `${like(filter.action)}.%`;
  }
  if (filter.actor) {
    clauses.push("actor LIKE @actor ESCAPE '\\'");
    params.actor = `%${like(filter.actor)}%`;
  }
  if (filter.text) {
    clauses.push("(subject LIKE @text ESCAPE '\\' OR detail LIKE @text ESCAPE '\\')");
    params.text = `%${like(filter.text)}%`;
  }
  if (filter.from) {
    clauses.push('at >= @from');
    params.from = filter.from;
  }
  if (filter.to) {
    clauses.push('at < @to');
    params.to = filter.to;
  }
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}
const like = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Entries matching the filter, newest first (by time: a tallied minute is written once it is over). */
export function searchAudit(db: Db, filter: AuditFilter, limit: number, offset = 0): AuditEntry[] {
  const { sql, params } = where(filter);
  return db.prepare(`SELECT * FROM audit_log ${sql} ORDER BY at DESC, id DESC LIMIT @limit OFFSET @offset`).all({ ...params, limit, offset }) as AuditEntry[];
}

/** The actions recorded so far, for the viewer's filter. */
export function auditActions(db: Db): string[] {
  return db.prepare('SELECT DISTINCT action FROM audit_log ORDER BY action').pluck().all() as string[];
}

/** The filtered log as CSV (oldest first), cells a spreadsheet would run as formulas defused. */
export function auditCsv(db: Db, filter: AuditFilter): string {
  const { sql, params } = where(filter);
  const lines = ['at,actor,action,subject,detail,ip'];
  for (const e of db.prepare(`SELECT * FROM audit_log ${sql} ORDER BY at, id`).iterate(params) as IterableIterator<AuditEntry>) {
    lines.push([e.at, e.actor, e.action, e.subject, e.detail, e.ip].map(csvCell).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}
