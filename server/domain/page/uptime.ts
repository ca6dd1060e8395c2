import type { Db } from '../../db/open.js';
import { dayKey, daysBefore, formatDate, fromZonedInput } from '../../lib/time.js';
import type { ComponentStatus } from './status.js';

/**
 * Uptime from the component status history. As on Statuspage, a major outage counts fully as downtime
 * and a partial outage partly (30 % of its minutes); degraded performance and maintenance are not
 * downtime. Days are calendar days in the page's time zone, and a day is the whole day (today too, and
 * the day a component was created): 4 s of outage on a component created an hour ago is 99.99 %, not
 * the 99.9 % of its first hour. Days before a component existed are "no data", shown but not counted.
 */
export const DOWNTIME_WEIGHT = { major_outage: 1, partial_outage: 0.3 } as const;
export const UPTIME_DAYS = 90;
/** The days a narrow screen shows (public/css/pharos.css): the page states their own uptime too. */
export const RECENT_DAYS = 30;

export interface DayMinutes {
  major: number;
  partial: number;
  degraded: number;
  maintenance: number;
  /** Minutes the component existed that day (up to now, for today). */
  observed: number;
}

export interface DayBar extends DayMinutes {
  key: string;
  label: string;
  /** Minutes in the calendar day (1,380 or 1,500 where the clocks change). */
  length: number;
  /** The component did not exist yet that day. */
  noData: boolean;
  worst: ComponentStatus;
  incidents: { id: string; name: string }[];
}

/** Bars as drawn: a run of days without downtime or incidents is one span; any other day stands alone. */
export interface BarSpan {
  days: number;
  first: DayBar;
  last: DayBar;
  /** How many of its days are among the last RECENT_DAYS (0: older, hidden on narrow screens; fewer than `days`: it crosses into them). */
  recent: number;
}

export interface ComponentUptime {
  days: DayBar[];
  spans: BarSpan[];
  /** Percent over the days with data (whole days), or null before any. */
  uptime: number | null;
  /** The same over the last RECENT_DAYS, what a narrow screen shows. */
  recentDays: number;
  recentUptime: number | null;
}

/** A span of one status, in epoch milliseconds (end Infinity while it lasts). */
export interface Interval {
  status: ComponentStatus;
  start: number;
  end: number;
}

/** The first instant of a calendar day in the zone (01:00 where midnight does not exist). */
export function dayStart(key: string, timeZone: string): Date {
  return fromZonedInput(`${key}T00:00`, timeZone) ?? fromZonedInput(`${key}T01:00`, timeZone) ?? new Date(`${key}T00:00:00Z`);
}

/** Minutes of each status of one component in [from, to), from its intervals. */
export function minutesIn(intervals: Interval[], from: number, to: number): DayMinutes {
  const m: DayMinutes = { major: 0, partial: 0, degraded: 0, maintenance: 0, observed: 0 };
  for (const i of intervals) {
    // Sorted by start: nothing later overlaps the day.
    if (i.start >= to) break;
    const start = Math.max(i.start, from);
    const end = Math.min(i.end, to);
    if (end <= start) continue;
    const minutes = (end - start) / 60_000;
    m.observed += minutes;
    if (i.status === 'major_outage') m.major += minutes;
    else if (i.status === 'partial_outage') m.partial += minutes;
    else if (i.status === 'degraded_performance') m.degraded += minutes;
    else if (i.status === 'under_maintenance') m.maintenance += minutes;
  }
  return m;
}

export function worstOf(m: DayMinutes): ComponentStatus {
  if (m.major > 0) return 'major_outage';
  if (m.partial > 0) return 'partial_outage';
  if (m.degraded > 0) return 'degraded_performance';
  if (m.maintenance > 0) return 'under_maintenance';
  return 'operational';
}

/** Downtime over the whole days with data (as Statuspage: a day is a day, however young the component). */
export function uptimePercent(days: (DayMinutes & { length: number; noData: boolean })[]): number | null {
  const counted = days.filter((d) => !d.noData);
  const minutes = counted.reduce((s, d) => s + d.length, 0);
  if (minutes <= 0) return null;
  const down = counted.reduce((s, d) => s + d.major * DOWNTIME_WEIGHT.major_outage + d.partial * DOWNTIME_WEIGHT.partial_outage, 0);
  return Math.max(0, 100 * (1 - down / minutes));
}

/** Each component's status spans overlapping [from, now], sorted by start, times parsed once. */
export function intervalsSince(db: Db, from: string): Map<string, Interval[]> {
  const rows = db
    .prepare(
      `SELECT component_id, status, started_at, ended_at FROM component_status_log
       WHERE ended_at IS NULL OR ended_at > ? ORDER BY started_at`,
    )
    .all(from) as { component_id: string; status: ComponentStatus; started_at: string; ended_at: string | null }[];
  const by = new Map<string, Interval[]>();
  for (const r of rows) {
    const span = { status: r.status, start: Date.parse(r.started_at), end: r.ended_at ? Date.parse(r.ended_at) : Infinity };
    const list = by.get(r.component_id);
    if (list) list.push(span);
    else by.set(r.component_id, [span]);
  }
  return by;
}

interface FrameDay {
  n: number;
  key: string;
  from: number;
  /** The next day's start (now for today, applied by the caller). */
  to: number;
  label: string;
}

/** The 90 days' boundaries and labels depend only on the day and the zone: computed once per day. */
let frameCache: { today: string; timeZone: string; days: FrameDay[] } | undefined;
function dayFrame(today: string, timeZone: string): FrameDay[] {
  if (frameCache?.today === today && frameCache.timeZone === timeZone) return frameCache.days;
  const days = Array.from({ length: UPTIME_DAYS }, (_, i) => {
    const n = UPTIME_DAYS - 1 - i;
    const key = daysBefore(today, n);
    const from = dayStart(key, timeZone).getTime();
    const to = dayStart(daysBefore(today, n - 1), timeZone).getTime();
    return { n, key, from, to, label: formatDate(new Date(from + 12 * 3_600_000).toISOString(), timeZone) };
  });
  frameCache = { today, timeZone, days };
  return days;
}

/**
 * Writes the finished days (before today, in the zone) that are not rolled up yet, for every component.
 * Idempotent; after downtime it fills in every missing day of the window.
 */
export function rollupUptime(db: Db, timeZone: string, now: Date): number {
  const today = dayKey(now.toISOString(), timeZone);
  const first = daysBefore(today, UPTIME_DAYS);
  const intervals = intervalsSince(db, dayStart(first, timeZone).toISOString());
  const components = db.prepare('SELECT id FROM components').pluck().all() as string[];
  const have = new Set(db.prepare('SELECT component_id || day AS k FROM uptime_days WHERE day >= ?').pluck().all(first) as string[]);
  const insert = db.prepare(
    `INSERT OR IGNORE INTO uptime_days (component_id, day, major_minutes, partial_minutes, degraded_minutes, maintenance_minutes, observed_minutes)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  let written = 0;
  db.transaction(() => {
    for (let n = UPTIME_DAYS; n >= 1; n--) {
      const key = daysBefore(today, n);
      const from = dayStart(key, timeZone).getTime();
      const to = dayStart(daysBefore(today, n - 1), timeZone).getTime();
      for (const id of components) {
        if (have.has(id + key)) continue;
        const m = minutesIn(intervals.get(id) ?? [], from, to);
        written += insert.run(id, key, m.major, m.partial, m.degraded, m.maintenance, m.observed).changes;
      }
    }
    db.prepare('DELETE FROM uptime_days WHERE day < ?').run(first);
  }).immediate();
  return written;
}

/** The rolled-up days from `first` (to `last`), keyed by component id and day. */
export function storedDays(db: Db, first: string, last = '9999-12-31'): Map<string, DayMinutes> {
  const rows = db.prepare('SELECT * FROM uptime_days WHERE day >= ? AND day <= ?').all(first, last) as {
    component_id: string;
    day: string;
    major_minutes: number;
    partial_minutes: number;
    degraded_minutes: number;
    maintenance_minutes: number;
    observed_minutes: number;
  }[];
  return new Map(
    rows.map((r) => [
      r.component_id + r.day,
      { major: r.major_minutes, partial: r.partial_minutes, degraded: r.degraded_minutes, maintenance: r.maintenance_minutes, observed: r.observed_minutes },
    ]),
  );
}

/**
 * The bars for the last 90 days, always 90 (days before a component existed are "no data"): rolled-up
 * days from uptime_days, days not rolled up yet and today computed from the history.
 */
export function uptimeBars(db: Db, timeZone: string, now: Date, componentIds: string[]): Map<string, ComponentUptime> {
  const today = dayKey(now.toISOString(), timeZone);
  const first = daysBefore(today, UPTIME_DAYS - 1);
  const windowStart = dayStart(first, timeZone);
  const intervals = intervalsSince(db, windowStart.toISOString());
  const stored = storedDays(db, first);
  const incidentRows = db
    .prepare(
      // Open, or resolved within the window: two ranges of one index (an OR would read every incident).
      `SELECT ic.component_id, i.id, i.name, i.started_at, i.resolved_at FROM incident_components ic
       JOIN incidents i ON i.id = ic.incident_id
       WHERE i.id IN (SELECT id FROM incidents WHERE kind = 'incident' AND resolved_at IS NULL
                      UNION ALL SELECT id FROM incidents WHERE kind = 'incident' AND resolved_at >= ?)
       ORDER BY i.started_at`,
    )
    .all(windowStart.toISOString()) as { component_id: string; id: string; name: string; started_at: string; resolved_at: string | null }[];

  // Day boundaries and labels once for all components; incidents indexed by component, times parsed once.
  const frame = dayFrame(today, timeZone);
  const incidentsOf = new Map<string, { id: string; name: string; start: number; end: number }[]>();
  for (const r of incidentRows) {
    const entry = { id: r.id, name: r.name, start: Date.parse(r.started_at), end: r.resolved_at ? Date.parse(r.resolved_at) : Infinity };
    const list = incidentsOf.get(r.component_id);
    if (list) list.push(entry);
    else incidentsOf.set(r.component_id, [entry]);
  }

  const result = new Map<string, ComponentUptime>();
  for (const id of componentIds) {
    const own = intervals.get(id) ?? [];
    const born = own[0] ? own[0].start : now.getTime();
    const mine = incidentsOf.get(id) ?? [];
    const days: DayBar[] = [];
    for (const day of frame) {
      const { n, key, from, label } = day;
      const to = n === 0 ? now.getTime() : day.to;
      const noData = n === 0 ? born > to : to <= born;
      const m = noData ? minutesIn([], from, to) : ((n > 0 ? stored.get(id + key) : undefined) ?? minutesIn(own, from, to));
      const incidents: { id: string; name: string }[] = [];
      for (const r of mine) if (r.start < to && r.end > from) incidents.push({ id: r.id, name: r.name });
      days.push({
        major: m.major,
        partial: m.partial,
        degraded: m.degraded,
        maintenance: m.maintenance,
        observed: m.observed,
        key,
        label,
        length: (day.to - from) / 60_000,
        noData,
        worst: worstOf(m),
        incidents,
      });
    }
    const recent = days.slice(-RECENT_DAYS);
    result.set(id, { days, spans: barSpans(days), uptime: uptimePercent(days), recentDays: recent.length, recentUptime: uptimePercent(recent) });
  }
  return result;
}

const quiet = (d: DayBar) => !d.noData && d.worst === 'operational' && d.incidents.length === 0;
const alike = (a: DayBar, b: DayBar) => (a.noData && b.noData) || (quiet(a) && quiet(b));

/**
 * Consecutive quiet days (or days without data) merged into one span: the page carries a few dozen bars
 * per component instead of 90 (and screen readers read "1 – 20 September: no downtime" once, not twenty
 * times). A span is not cut where the last RECENT_DAYS begin: it says how many of its days are among them,
 * and a narrow screen draws only those (one label still, for screen readers).
 */
export function barSpans(days: DayBar[]): BarSpan[] {
  const spans: BarSpan[] = [];
  const recentFrom = days.length - RECENT_DAYS;
  days.forEach((day, i) => {
    const open = spans[spans.length - 1];
    const recent = i >= recentFrom ? 1 : 0;
    if (open && alike(day, open.last)) {
      open.last = day;
      open.days++;
      open.recent += recent;
    } else spans.push({ days: 1, first: day, last: day, recent });
  });
  return spans;
}
