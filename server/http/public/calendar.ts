import { Router } from 'express';
import type { Context } from '../../context.js';
import { getIncident, listMaintenance, type Incident } from '../../domain/incidents/queries.js';
import { NotFound } from '../../errors.js';

/**
 * RFC 5545 TEXT: backslash, semicolon and comma escaped, every line ending (CRLF, a CR or an LF alone)
 * written as \n, and the other control characters, which TEXT may not hold, dropped (tabs are allowed).
 */
function text(value: string): string {
  return (
    value
      .replace(/\\/g, '\\\\')
      .replace(/;/g, '\\;')
      .replace(/,/g, '\\,')
      .replace(/\r\n|\r|\n/g, '\\n')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, '')
  );
}

/** Lines longer than 75 octets are folded (CRLF + space), never inside a UTF-8 sequence. */
function fold(line: string): string {
  const out: string[] = [];
  let current = '';
  let bytes = 0;
  for (const ch of line) {
    const size = Buffer.byteLength(ch);
    if (bytes + size > (out.length ? 74 : 75)) {
      out.push(current);
      current = '';
      bytes = 0;
    }
    current += ch;
    bytes += size;
  }
  out.push(current);
  return out.join('\r\n ');
}

const stamp = (iso: string) => iso.replace(/[-:]/g, '').replace(/\.\d{3}/, '');

function event(ctx: Context, m: Incident, host: string): string[] {
  const latest = m.incident_updates[0]?.body ?? '';
  const url = `${ctx.config.publicUrl}/incidents/${m.id}`;
  const affects = m.components.length ? `Affects: ${m.components.map((c) => c.name).join(', ')}\n\n` : '';
  return [
    'BEGIN:VEVENT',
    `UID:maintenance-${m.id}@${host}`,
    `DTSTAMP:${stamp(m.updated_at)}`,
    `LAST-MODIFIED:${stamp(m.updated_at)}`,
    // Each update (a move, a new status) raises the sequence, so calendars replace the old copy.
    `SEQUENCE:${m.incident_updates.length}`,
    `DTSTART:${stamp(m.scheduled_for ?? m.started_at)}`,
    `DTEND:${stamp(m.scheduled_until ?? m.scheduled_for ?? m.started_at)}`,
    `SUMMARY:${text(`[${ctx.config.pageName}] ${m.name}`)}`,
    `DESCRIPTION:${text(`${affects}${latest}\n\n${url}`)}`,
    `URL:${url}`,
    `STATUS:${m.cancelled_at ? 'CANCELLED' : 'CONFIRMED'}`,
    'TRANSP:TRANSPARENT',
    'END:VEVENT',
  ];
}

function calendar(ctx: Context, events: Incident[], name: string): string {
  const host = new URL(ctx.config.publicUrl).hostname;
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    `PRODID:-//Pharos//${text(ctx.config.pageName)}//EN`,
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${text(name)}`,
    ...events.flatMap((m) => event(ctx, m, host)),
    'END:VCALENDAR',
  ];
  return lines.map(fold).join('\r\n') + '\r\n';
}

/** Maintenance windows for calendar apps: a feed of all of them and one file per window. */
export function calendarRoutes(ctx: Context): Router {
  const router = Router();
  router.get('/maintenance.ics', (_req, res) => {
    const all = [...listMaintenance(ctx.db, 'open'), ...listMaintenance(ctx.db, 'all').filter((m) => m.status === 'completed')];
    res.set({ 'Content-Type': 'text/calendar; charset=utf-8', 'Cache-Control': 'no-cache' });
    res.send(calendar(ctx, all, `${ctx.config.pageName} maintenance`));
  });
  router.get('/incidents/:id.ics', (req, res) => {
    const m = getIncident(ctx.db, req.params.id);
    if (m.kind !== 'maintenance') throw new NotFound('Only maintenance windows have a calendar file');
    res.set({
      'Content-Type': 'text/calendar; charset=utf-8',
      'Content-Disposition': `attachment; filename="maintenance-${m.id}.ics"`,
    });
    res.send(calendar(ctx, [m], m.name));
  });
  return router;
}
