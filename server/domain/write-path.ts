import type { Deps } from '../context.js';
import type { Actor } from './access/actors.js';
import { actorLabel } from './access/actors.js';
import { audit } from './access/audit.js';

/**
 * The one write path for everything the public sees: `write` runs inside an IMMEDIATE transaction
 * together with the events row and the audit row (who, what, from where; the subject before and after
 * when the change names one); only after the commit is 'page.changed' emitted, once.
 */
export function commitChange<T>(
  ctx: Deps<'db' | 'bus' | 'clock'>,
  change: { cause: string; actor: Actor; subject?: () => unknown },
  /** `audit`: what the audit row says of the change, when the write knows better than its ids (and before/after). */
  write: () => { result: T; ids: string[]; audit?: { subject: string; detail: unknown } },
): T {
  let eventId = 0;
  let ids: string[] = [];
  // The subject as it was and as it is (null once deleted), for the audit log's record of an edit.
  const state = () => {
    try {
      return change.subject?.() ?? null;
    } catch {
      return null;
    }
  };
  const tx = ctx.db.transaction(() => {
    const before = change.subject ? state() : undefined;
    const out = write();
    ids = out.ids;
    const record = out.audit ?? { subject: ids.join(','), detail: change.subject ? { before, after: state() } : '' };
    audit(ctx.db, change.actor, change.cause, record.subject, record.detail, ctx.clock.now());
    eventId = Number(
      ctx.db
        .prepare('INSERT INTO events (cause, subject, actor, created_at) VALUES (?, ?, ?, ?)')
        .run(change.cause, ids.join(','), actorLabel(change.actor), ctx.clock.now().toISOString()).lastInsertRowid,
    );
    return out.result;
  });
  const result = tx.immediate();
  ctx.bus.emit('page.changed', { eventId, cause: change.cause, ids });
  return result;
}

/** The id of the last committed public change: the version of what viewers should see. */
export function lastEventId(ctx: Deps<'db'>): number {
  return (ctx.db.prepare('SELECT COALESCE(MAX(id), 0) FROM events').pluck().get() as number) ?? 0;
}

/** The public changes committed after `id`, oldest first: each one's id and the ids it names (the events row's subject). */
export function changesSince(ctx: Deps<'db'>, id: number): { id: number; ids: string[] }[] {
  const rows = ctx.db.prepare('SELECT id, subject FROM events WHERE id > ? ORDER BY id').all(id) as { id: number; subject: string }[];
  return rows.map((r) => ({ id: r.id, ids: r.subject ? r.subject.split(',') : [] }));
}

/**
 * The write path for what the public does not see (accounts, roles, API keys, sessions ended, exports,
 * imports, dead letters sent again): `write` and its audit row in one IMMEDIATE transaction, so that no
 * such change is ever made without its record, nor recorded without being made. No page event follows.
 */
export function auditedWrite<T>(
  ctx: Deps<'db' | 'clock'>,
  change: { action: string; actor: Actor },
  write: () => { result: T; subject: string; detail?: unknown },
): T {
  return ctx.db
    .transaction(() => {
      const out = write();
      audit(ctx.db, change.actor, change.action, out.subject, out.detail ?? '', ctx.clock.now());
      return out.result;
    })
    .immediate();
}
