/**
 * Time-zone arithmetic: wall clocks, calendar days and months in a zone, and the zone's name for a day
 * ("1 December 2026"), used by the domain (days of uptime, windows typed in the page's zone) and by
 * display code alike. render/format.ts turns instants into the strings pages show.
 */

/** The zone's canonical IANA name ("europe/paris" → "Europe/Paris"), or undefined when it is not a zone. */
export function canonicalZone(name: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

export type FormatterKind = 'datetime' | 'date' | 'month' | 'key' | 'parts';

/** An Intl formatter for the zone, built once per zone and kind. */
export function formatterFor(timeZone: string, kind: FormatterKind): Intl.DateTimeFormat {
  const cacheKey = `${timeZone}|${kind}`;
  let f = formatters.get(cacheKey);
  if (!f) {
    const options: Intl.DateTimeFormatOptions = { timeZone };
    if (kind === 'datetime') {
      Object.assign(options, {
        day: 'numeric',
        month: 'short',
        year: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
        timeZoneName: 'shortOffset',
      });
    } else if (kind === 'date') {
      Object.assign(options, { day: 'numeric', month: 'long', year: 'numeric' });
    } else if (kind === 'month') {
      Object.assign(options, { month: 'long', year: 'numeric' });
    } else {
      Object.assign(options, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    }
    f = new Intl.DateTimeFormat(kind === 'key' || kind === 'parts' ? 'en-CA' : 'en-GB', options);
    formatters.set(cacheKey, f);
  }
  return f;
}

/** "3 Dec 2026, 02:00 UTC+1": an instant in the zone, with its offset from UTC (as pages and mail show times). */
export function formatDateTime(iso: string, timeZone: string): string {
  // "GMT+2" reads as British time to many; the offset is from UTC, so say so.
  return formatterFor(timeZone, 'datetime')
    .format(new Date(iso))
    .replace(/GMT(?=[+-]|$)/, 'UTC')
    .replace(/UTC\+0$/, 'UTC');
}

/** "1 December 2026": the calendar day of an instant in the zone. */
export function formatDate(iso: string, timeZone: string): string {
  return formatterFor(timeZone, 'date').format(new Date(iso));
}

/** Wall-clock parts of an instant in a zone. */
function wallClock(date: Date, timeZone: string): { y: number; m: number; d: number; h: number; min: number; s: number } {
  const parts = Object.fromEntries(
    formatterFor(timeZone, 'parts')
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  return {
    y: Number(parts.year),
    m: Number(parts.month),
    d: Number(parts.day),
    h: Number(parts.hour) % 24,
    min: Number(parts.minute),
    s: Number(parts.second),
  };
}

/** The zone's offset from UTC at an instant, in ms. */
function offsetAt(date: Date, timeZone: string): number {
  const w = wallClock(date, timeZone);
  return Date.UTC(w.y, w.m - 1, w.d, w.h, w.min, w.s) - Math.floor(date.getTime() / 1000) * 1000;
}

/** "YYYY-MM-DD" of an instant in a zone. */
export function dayKey(iso: string, timeZone: string): string {
  const w = wallClock(new Date(iso), timeZone);
  return `${w.y}-${String(w.m).padStart(2, '0')}-${String(w.d).padStart(2, '0')}`;
}

/** "YYYY-MM-DDTHH:MM", as a datetime-local input shows an instant in the zone. */
export function toZonedInput(iso: string, timeZone: string): string {
  const w = wallClock(new Date(iso), timeZone);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${w.y}-${pad(w.m)}-${pad(w.d)}T${pad(w.h)}:${pad(w.min)}`;
}

/** The instant at which the zone's wall clock reads `local` ("YYYY-MM-DDTHH:MM[:SS]"), or undefined if malformed. */
export function fromZonedInput(local: string, timeZone: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local.trim());
  if (!m) return undefined;
  const asUtc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  if (Number.isNaN(asUtc)) return undefined;
  // Two passes settle the offset around DST changes.
  let t = asUtc - offsetAt(new Date(asUtc), timeZone);
  t = asUtc - offsetAt(new Date(t), timeZone);
  // Refuse what the zone's clock never shows: 30 February, 24:99, or the hour skipped when clocks go forward.
  if (toZonedInput(new Date(t).toISOString(), timeZone) !== local.trim().slice(0, 16)) return undefined;
  return new Date(t);
}

/** "YYYY-MM-DD" of the calendar day `days` before the given one (calendar days, whatever their length). */
export function daysBefore(key: string, days: number): string {
  const [y, m, d] = key.split('-').map(Number);
  const date = new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, (d ?? 1) - days));
  return date.toISOString().slice(0, 10);
}

/** The first instant of the month containing `date` (months back: 0 = this month), in the zone. */
export function monthStart(date: Date, timeZone: string, monthsBack = 0): Date {
  const w = wallClock(date, timeZone);
  const totalMonths = w.y * 12 + (w.m - 1) - monthsBack;
  const y = Math.floor(totalMonths / 12);
  const m = (totalMonths % 12) + 1;
  return fromZonedInput(`${y}-${String(m).padStart(2, '0')}-01T00:00`, timeZone) ?? date;
}
