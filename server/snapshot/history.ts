import type { Display } from '../domain/page/display.js';
import { resolutionFigures } from '../domain/incidents/metrics.js';
import type { Incident } from '../domain/incidents/queries.js';
import { monthStart } from '../lib/time.js';
import { formatMonth } from '../render/format.js';
import { resolutionOf } from './resolution.js';
import type { IndexChanges, Indexed, PageIndex } from './page-index.js';

const MONTHS_PER_PAGE = 3;
/** An incident older than this (a mistyped year) is on no page, rather than making thousands of empty ones. */
const MAX_MONTHS_BACK = 100 * 12;

/**
 * One page of the history: three months, newest first, with each month's resolution figures; a link to
 * older months while there are older incidents (`older`). `incidents`: the page's, newest first;
 * `bounds(k)`: the start of the month k months back (k = -1: the next month).
 */
export function historyPage(incidents: Incident[], bounds: (k: number) => string, tz: string, pageNumber: number, display: Display, older: boolean) {
  const months = [];
  for (let n = 0; n < MONTHS_PER_PAGE; n++) {
    const back = (pageNumber - 1) * MONTHS_PER_PAGE + n;
    const [from, to] = [bounds(back), bounds(back - 1)];
    const inMonth = incidents.filter((i) => i.started_at >= from && i.started_at < to).map((i) => ({ ...i, resolution: resolutionOf(i) }));
    // The resolution figures only where the page's owner chose to publish them (Admin → Settings).
    months.push({
      label: formatMonth(from, tz),
      incidents: inMonth,
      count: inMonth.length,
      figures: display.showResolutionFigures ? resolutionFigures(inMonth) : undefined,
    });
  }
  return { title: 'Incident history', months, newer: pageNumber > 1 ? pageNumber - 1 : undefined, older: older ? pageNumber + 1 : undefined };
}

/** Newest first, as the history lists them. */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const newestFirst = (a: Incident, b: Incident) => cmp(b.started_at, a.started_at) || cmp(b.created_at, a.created_at) || cmp(a.id, b.id);

/**
 * Which incidents each page of the history shows (three months a page, counted back from this month in
 * the page's zone), kept as incidents change: a change marks the page it left and the page it is on
 * now, so that only those are rendered again. When the month or the zone changes, every incident's page
 * is worked out again.
 */
export class HistoryPages {
  /** bounds[k + 1]: the start of the month k months back, as an ISO string (k = -1: the next month). */
  private bounds: string[] = [];
  private basis = '';
  private now = new Date(0);
  private tz = 'UTC';
  private readonly pageOf = new Map<string, number>();
  private readonly members = new Map<number, Set<string>>();
  private dirty = new Set<number>();
  /** The last page (the one with the oldest incident): the pages before it link to older ones. */
  private last = 1;

  /** The start of the month `k` months back (k = -1: the next month). */
  readonly bound = (k: number): string => {
    while (this.bounds.length <= k + 1) this.bounds.push(monthStart(this.now, this.tz, this.bounds.length - 1).toISOString());
    return this.bounds[k + 1] ?? '';
  };

  /**
   * Brings the pages up to date with `changes` (all of them when `everything`, e.g. a new zone or
   * display): returns the pages to render again and the pages that no longer exist.
   */
  update(index: PageIndex, changes: IndexChanges, now: Date, tz: string, everything: boolean): { render: number[]; gone: number[] } {
    const basis = `${tz} ${monthStart(now, tz).toISOString()}`;
    const lastBefore = this.last;
    if (changes.full || basis !== this.basis) {
      [this.basis, this.now, this.tz, this.bounds] = [basis, now, tz, []];
      this.pageOf.clear();
      this.members.clear();
      for (const [id, indexed] of index.incidents) this.place(id, indexed);
      everything = true;
    } else {
      for (const { id, before, after } of changes.incidents) {
        if (before) this.remove(id);
        if (after) this.place(id, after);
      }
    }
    this.last = Math.max(1, ...[...this.members].filter(([, ids]) => ids.size > 0).map(([n]) => n));
    // The last page and the one before it change (the link to older pages); pages new in between are made.
    if (this.last !== lastBefore) this.dirty.add(lastBefore).add(this.last);
    for (let n = lastBefore + 1; n <= this.last; n++) this.dirty.add(n);
    const render = everything ? Array.from({ length: this.last }, (_, i) => i + 1) : [...this.dirty].filter((n) => n <= this.last);
    this.dirty = new Set();
    const gone = [];
    for (let n = this.last + 1; n <= lastBefore; n++) gone.push(n);
    return { render, gone };
  }

  /** The incidents on page `n`, newest first. */
  incidentsOn(index: PageIndex, n: number): Incident[] {
    return [...(this.members.get(n) ?? [])].flatMap((id) => index.incidents.get(id)?.incident ?? []).sort(newestFirst);
  }

  /** Page `n`'s data for the view. */
  page(index: PageIndex, n: number, display: Display) {
    return historyPage(this.incidentsOn(index, n), this.bound, this.tz, n, display, n < this.last);
  }

  private place(id: string, { incident }: Indexed): void {
    if (incident.kind !== 'incident') return;
    const back = this.monthsBack(incident.started_at);
    if (back === undefined) return;
    const n = Math.floor(back / MONTHS_PER_PAGE) + 1;
    this.pageOf.set(id, n);
    let set = this.members.get(n);
    if (!set) this.members.set(n, (set = new Set()));
    set.add(id);
    this.dirty.add(n);
  }

  private remove(id: string): void {
    const n = this.pageOf.get(id);
    if (n === undefined) return;
    this.pageOf.delete(id);
    this.members.get(n)?.delete(id);
    this.dirty.add(n);
  }

  /** How many months back `startedAt` falls (0: this month), or undefined after this month (no page shows it). */
  private monthsBack(startedAt: string): number | undefined {
    if (startedAt >= this.bound(-1)) return undefined;
    // The bounds go back in time; found by bisection once they reach far enough.
    let hi = 0;
    while (startedAt < this.bound(hi)) {
      if (hi > MAX_MONTHS_BACK) return undefined;
      hi = hi * 2 + 1;
    }
    let lo = 0;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (startedAt >= this.bound(mid)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
