import type { Deps } from '../../context.js';
import type { Db } from '../../db/open.js';
import { Invalid } from '../../errors.js';
import { dayKey, daysBefore } from '../../lib/time.js';
import { getComponent } from './components.js';
import { getGroup } from './groups.js';
import { pageZone } from './time-zone.js';
import { dayStart, intervalsSince, minutesIn, storedDays, UPTIME_DAYS, uptimePercent, type DayMinutes } from './uptime.js';

/**
 * Uptime over any range of calendar days (the v1 API's /uptime), computed as the page's bars are: the
 * same minutes of each status per day (rolled up where the day is, from the history otherwise), the same
 * weights and the same whole days, today counted whole; days before a component existed are no data.
 * As Statuspage: `start` and `end` are dates in the page's zone (a year or a month stands for its first
 * or last day), at most six calendar months apart; without them, the last 90 days, as on the page.
 */

export const MAX_RANGE_MONTHS = 6;
const FIRST_SUPPORTED = '1970-01-01';

export interface UptimeReport {
  /** The days counted, first and last, inclusive ("YYYY-MM-DD" in the page's zone). */
  first: string;
  last: string;
  /** Percent over the days with data (no rounding), or null without any. */
  percent: number | null;
  /** Seconds each status lasted over the range, summed over the components. */
  majorSeconds: number;
  partialSeconds: number;
  warnings: string[];
  /** The incidents of each component that overlap the range, oldest first. */
  components: { id: string; incidents: string[] }[];
}

const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;

/** "YYYY-MM-DD" of a partial date: YYYY, YYYY-MM or YYYY-MM-DD, as the first or the last day it names. */
export function partialDate(value: string, edge: 'first' | 'last'): string | undefined {
  const m = DATE.exec(value.trim());
  if (!m) return undefined;
  const y = Number(m[1]);
  const month = m[2] === undefined ? (edge === 'first' ? 1 : 12) : Number(m[2]);
  if (month < 1 || month > 12) return undefined;
  const lastDay = new Date(Date.UTC(y, month, 0)).getUTCDate();
  const d = m[3] === undefined ? (edge === 'first' ? 1 : lastDay) : Number(m[3]);
  if (d < 1 || d > lastDay) return undefined;
  const key = `${String(y).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  return key < FIRST_SUPPORTED ? undefined : key;
}

/** The same day `months` calendar months later, or the first of the month after when it has no such day (31 August + 6: 1 March). */
function monthsAfter(key: string, months: number): string {
  const [y = 1970, m = 1, d = 1] = key.split('-').map(Number);
  const month = new Date(Date.UTC(y, m - 1 + months, 1));
  const lastDay = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 0)).getUTCDate();
  if (d > lastDay) month.setUTCMonth(month.getUTCMonth() + 1);
  else month.setUTCDate(d);
  return month.toISOString().slice(0, 10);
}

function dateParam(value: unknown, name: 'start' | 'end'): string | undefined {
  if (value === undefined || value === '') return undefined;
  const key = typeof value === 'string' ? partialDate(value, name === 'start' ? 'first' : 'last') : undefined;
  if (!key) throw new Invalid({ [name]: 'Use a date such as 2026-11-30 (or a month, 2026-11, or a year, 2026), from 1970 on' });
  return key;
}

/** The days asked for: checked, defaulted, and the end brought back to today (with Statuspage's warning). */
export function requestedRange(
  today: string,
  query: { start?: unknown; end?: unknown },
): { first: string; last: string; startGiven: boolean; warnings: string[] } {
  const start = dateParam(query.start, 'start');
  const end = dateParam(query.end, 'end');
  const warnings: string[] = [];
  if (start && start > today) throw new Invalid({ start: 'The start cannot be after today' });
  if (start && end && end < start) throw new Invalid({ end: 'The end cannot be before the start' });
  // Without an end, the range runs to today.
  if (start && (end ?? today) >= monthsAfter(start, MAX_RANGE_MONTHS)) {
    throw new Invalid({ [end ? 'end' : 'start']: `The range can be at most ${MAX_RANGE_MONTHS} calendar months (from the start to the end, or to today)` });
  }
  let last = end ?? today;
  if (last > today) {
    last = today;
    warnings.push('End date was adjusted to today. See range_end field in response for end date used.');
  }
  return { first: start ?? daysBefore(last, UPTIME_DAYS - 1), last, startGiven: start !== undefined, warnings };
}

/** Every day from first to last, inclusive. */
function daysFrom(first: string, last: string): string[] {
  const days: string[] = [];
  for (let key = first; key <= last; key = daysBefore(key, -1)) days.push(key);
  return days;
}

/** Uptime of components taken together (a group's: their downtime summed over their minutes) over the days asked. */
export function uptimeOver(db: Db, timeZone: string, now: Date, componentIds: string[], query: { start?: unknown; end?: unknown }): UptimeReport {
  const today = dayKey(now.toISOString(), timeZone);
  const asked = requestedRange(today, query);
  const intervals = intervalsSince(db, dayStart(asked.first, timeZone).toISOString());
  const births = componentIds.flatMap((id) => intervals.get(id)?.[0]?.start ?? []);
  const bornDay = births.length ? dayKey(new Date(Math.min(...births)).toISOString(), timeZone) : undefined;
  const warnings = [...asked.warnings];
  let first = asked.first;
  if (!bornDay || bornDay > asked.last) {
    warnings.push('No data: nothing here existed yet in this range.');
  } else if (bornDay > first) {
    first = bornDay;
    if (asked.startGiven) warnings.push('Start date was adjusted to the first day with data. See range_start field in response for start date used.');
  }
  const { last } = asked;
  const stored = storedDays(db, first, last);
  const rangeFrom = dayStart(first, timeZone).getTime();
  const rangeTo = Math.min(dayStart(daysBefore(last, -1), timeZone).getTime(), now.getTime());
  const counted: (DayMinutes & { length: number; noData: boolean })[] = [];
  const frame = daysFrom(first, last).map((key) => ({ key, from: dayStart(key, timeZone).getTime(), next: dayStart(daysBefore(key, -1), timeZone).getTime() }));
  for (const id of componentIds) {
    const own = intervals.get(id) ?? [];
    const born = own[0]?.start ?? Infinity;
    for (const day of frame) {
      const isToday = day.key === today;
      const to = isToday ? now.getTime() : day.next;
      const noData = isToday ? born > to : to <= born;
      const m = noData ? minutesIn([], day.from, to) : ((isToday ? undefined : stored.get(id + day.key)) ?? minutesIn(own, day.from, to));
      counted.push({ ...m, length: (day.next - day.from) / 60_000, noData });
    }
  }
  const seconds = (minutes: number) => Math.round(minutes * 60);
  return {
    first,
    last,
    percent: uptimePercent(counted),
    majorSeconds: seconds(counted.reduce((s, d) => s + d.major, 0)),
    partialSeconds: seconds(counted.reduce((s, d) => s + d.partial, 0)),
    warnings,
    components: componentIds.map((id) => ({ id, incidents: incidentsOf(db, id, rangeFrom, rangeTo) })),
  };
}

/** A component's incidents (not maintenance, as on the bars) that overlap [from, to). */
function incidentsOf(db: Db, componentId: string, from: number, to: number): string[] {
  return db
    .prepare(
      `SELECT i.id FROM incident_components ic JOIN incidents i ON i.id = ic.incident_id
       WHERE ic.component_id = ? AND i.kind = 'incident' AND i.started_at < ? AND (i.resolved_at IS NULL OR i.resolved_at > ?)
       ORDER BY i.started_at, i.id`,
    )
    .pluck()
    .all(componentId, new Date(to).toISOString(), new Date(from).toISOString()) as string[];
}

/** One component's uptime (GET /api/v1/pages/:page_id/components/:id/uptime). */
export function componentUptime(ctx: Deps<'clock' | 'config' | 'db'>, componentId: string, query: { start?: unknown; end?: unknown }) {
  const component = getComponent(ctx.db, componentId);
  const report = uptimeOver(ctx.db, pageZone(ctx), ctx.clock.now(), [component.id], query);
  if (!component.showcase) report.warnings.push('This component does not show its uptime on the status page.');
  return { component, report };
}

/** A group's uptime: its components' downtime over their minutes together (GET …/component-groups/:id/uptime). */
export function groupUptime(ctx: Deps<'clock' | 'config' | 'db'>, groupId: string, query: { start?: unknown; end?: unknown }) {
  const group = getGroup(ctx.db, groupId);
  const members = ctx.db.prepare('SELECT id FROM components WHERE group_id = ? ORDER BY position, created_at').pluck().all(group.id) as string[];
  const report = uptimeOver(ctx.db, pageZone(ctx), ctx.clock.now(), members, query);
  if (!members.length) report.warnings.push('This group has no components.');
  return { group, report };
}
