import type { Config } from '../config.js';
import type { Incident } from '../domain/incidents/queries.js';

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

function event(config: Config, m: Incident, host: string): string[] {
  const latest = m.incident_updates[0]?.body ?? '';
  const url = `${config.publicUrl}/incidents/${m.id}`;
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
    `SUMMARY:${text(`[${config.pageName}] ${m.name}`)}`,
    `DESCRIPTION:${text(`${affects}${latest}\n\n${url}`)}`,
    `URL:${url}`,
    `STATUS:${m.cancelled_at ? 'CANCELLED' : 'CONFIRMED'}`,
    'TRANSP:TRANSPARENT',
    'END:VEVENT',
  ];
}

/** An iCalendar (RFC 5545) of maintenance windows: a feed, or one window's file. */
export function renderCalendar(config: Config, events: Incident[], name: string): string {
  const host = new URL(config.publicUrl).hostname;
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    `PRODID:-//Pharos//${text(config.pageName)}//EN`,
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${text(name)}`,
    ...events.flatMap((m) => event(config, m, host)),
    'END:VCALENDAR',
  ];
  return lines.map(fold).join('\r\n') + '\r\n';
}
