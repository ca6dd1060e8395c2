/** Dates and durations as people read them, in the page's time zone with an explicit offset. */
import { formatDateTime, formatterFor } from '../lib/time.js';

export { formatDateTime };

export function formatMonth(iso: string, timeZone: string): string {
  return formatterFor(timeZone, 'month').format(new Date(iso));
}

/** "3 h 12 min", "45 min", "2 d 4 h", "under a minute". */
export function formatDuration(fromIso: string, toIso: string): string {
  const minutes = Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 60_000));
  if (minutes < 1) return 'under a minute';
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const min = minutes % 60;
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return min > 0 ? `${h} h ${min} min` : `${h} h`;
  return `${min} min`;
}

/** "Europe/Paris, UTC+1": the zone and its offset now, for labels of local-time fields. */
export function zoneLabel(timeZone: string, at: Date): string {
  const offset = formatDateTime(at.toISOString(), timeZone).split(' ').pop() ?? '';
  return `${timeZone}, ${offset}`;
}
