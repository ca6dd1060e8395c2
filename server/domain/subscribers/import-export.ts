import { z } from 'zod';
import type { Deps } from '../../context.js';
import type { Db } from '../../db/open.js';
import { Invalid } from '../../errors.js';
import type { Actor } from '../access/actors.js';
import { auditedWrite } from '../write-path.js';
import { csvCell } from '../../lib/csv.js';
import { newId } from '../../lib/ids.js';
import { parseInput } from '../../lib/validate.js';
import { emailAddress, findSubscriber, queueConfirmation, subscriberComponents, type Subscriber } from './subscribers.js';

/** Subscribers added by admins: the CSV export and import, and one address from the v1 API. */

/**
 * Every subscriber as CSV (email, state, components, dates), cells that a spreadsheet would run as
 * formulas defused; read in the transaction that records who exported them.
 */
export function exportCsv(ctx: Deps<'db' | 'clock'>, actor: Actor): string {
  return auditedWrite(ctx, { action: 'subscribers.exported', actor }, () => {
    const csv = subscribersCsv(ctx.db);
    return { result: csv, subject: '', detail: { rows: csv.split('\r\n').length - 2 } };
  });
}

function subscribersCsv(db: Db): string {
  const names = new Map((db.prepare('SELECT id, name FROM components').all() as { id: string; name: string }[]).map((c) => [c.id, c.name]));
  const rows = db.prepare('SELECT * FROM subscribers ORDER BY email').all() as Subscriber[];
  const lines = ['email,state,components,created_at,confirmed_at,unsubscribed_at'];
  for (const s of rows) {
    const components = s.all_components
      ? 'all'
      : subscriberComponents(db, s.id)
          .map((c) => names.get(c) ?? c)
          .join('; ');
    lines.push([s.email, s.state, components, s.created_at, s.confirmed_at ?? '', s.unsubscribed_at ?? ''].map(csvCell).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

/** The first cell of a CSV line (quoted or not), with the export's formula guard (a leading ') removed. */
function firstCell(line: string): string {
  const text = line.replace(/^\uFEFF/, '').trimStart();
  let cell: string;
  if (text.startsWith('"')) {
    let i = 1;
    cell = '';
    while (i < text.length) {
      if (text[i] === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 2;
      } else if (text[i] === '"') {
        break;
      } else {
        cell += text[i++];
      }
    }
  } else {
    cell = text.split(',')[0] ?? '';
  }
  return cell.trim().replace(/^'(?=[=+\-@\t])/, '');
}

export interface ImportResult {
  added: number;
  skipped: number;
  invalid: { line: number; value: string }[];
}

/**
 * Imports addresses (the first column of each line; a header line is skipped). New addresses are
 * confirmed by email, unless the admin says they already confirmed elsewhere, which is audited.
 */
export function importCsv(ctx: Deps<'bus' | 'clock' | 'config' | 'db'>, actor: Actor, csv: string, alreadyConfirmed: boolean): ImportResult {
  const result: ImportResult = { added: 0, skipped: 0, invalid: [] };
  const now = ctx.clock.now();
  const at = now.toISOString();
  const lines = csv.split(/\r?\n/);
  if (lines.length > 100_001) throw new Invalid({ file: 'Import at most 100,000 addresses at a time' });
  auditedWrite(ctx, { action: 'subscribers.imported', actor }, () => {
    lines.forEach((line, index) => {
      const value = firstCell(line);
      if (!value || (index === 0 && /^e-?mail$/i.test(value))) return;
      const parsed = emailAddress.safeParse(value);
      if (!parsed.success) {
        if (result.invalid.length < 100) result.invalid.push({ line: index + 1, value: value.slice(0, 100) });
        return;
      }
      const id = newId();
      const inserted = ctx.db
        .prepare(
          `INSERT OR IGNORE INTO subscribers (id, email, state, source, created_at, confirmed_at, updated_at)
             VALUES (?, ?, ?, 'import', ?, ?, ?)`,
        )
        .run(id, parsed.data, alreadyConfirmed ? 'confirmed' : 'pending', at, alreadyConfirmed ? at : null, at).changes;
      if (!inserted) {
        result.skipped++;
        return;
      }
      result.added++;
      if (!alreadyConfirmed) queueConfirmation(ctx, { id, email: parsed.data }, now);
    });
    return { result: undefined, subject: `${result.added} added`, detail: { ...result, alreadyConfirmed } };
  });
  if (result.added && !alreadyConfirmed) ctx.bus.emit('mail.queued');
  return result;
}

/**
 * One address added by an admin or an API key (Statuspage's v1 `POST /subscribers`): with
 * `confirmed` (skip_confirmation_notification) it is subscribed at once, audited as such; otherwise it
 * gets a confirmation link like any sign-up. An address already there is returned as it is.
 */
export function addSubscriber(
  ctx: Deps<'bus' | 'clock' | 'config' | 'db'>,
  actor: Actor,
  given: { email: string; components: string[] },
  confirmed: boolean,
): Subscriber {
  const email = parseInput(z.object({ email: emailAddress }), { email: given.email }).email;
  const known = new Set(ctx.db.prepare('SELECT id FROM components').pluck().all() as string[]);
  const unknown = given.components.find((c) => !known.has(c));
  if (unknown) throw new Invalid({ component_ids: `No such component: ${unknown}` });
  const now = ctx.clock.now();
  const at = now.toISOString();
  const existing = ctx.db.prepare('SELECT * FROM subscribers WHERE email = ?').get(email) as Subscriber | undefined;
  if (existing) return existing;
  const id = newId();
  auditedWrite(ctx, { action: 'subscriber.added', actor }, () => {
    ctx.db
      .prepare(
        `INSERT INTO subscribers (id, email, state, all_components, source, created_at, confirmed_at, updated_at) VALUES (?, ?, ?, ?, 'import', ?, ?, ?)`,
      )
      .run(id, email, confirmed ? 'confirmed' : 'pending', given.components.length ? 0 : 1, at, confirmed ? at : null, at);
    const add = ctx.db.prepare('INSERT OR IGNORE INTO subscriber_components (subscriber_id, component_id) VALUES (?, ?)');
    for (const c of given.components) add.run(id, c);
    if (!confirmed) queueConfirmation(ctx, { id, email }, now);
    return { result: undefined, subject: id, detail: { email, components: given.components, confirmed } };
  });
  if (!confirmed) ctx.bus.emit('mail.queued');
  return findSubscriber(ctx.db, id) as Subscriber;
}
