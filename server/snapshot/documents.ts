import { createHash } from 'node:crypto';
import { getDisplay, type Display } from '../domain/page/display.js';
import type { Branding } from '../domain/page/branding.js';
import type { Config } from '../config.js';
import type { Db } from '../db/open.js';
import { resolutionFigures } from '../domain/incidents/metrics.js';
import { listMaintenance, listRecent, type Incident } from '../domain/incidents/queries.js';
import { orderedComponents, pageLayout } from '../domain/page/order.js';
import { isResolved } from '../domain/page/status.js';
import { allCommunications, noticeSections, type Communication } from '../domain/subscribers/communications.js';
import { getGate } from '../domain/subscribers/gate.js';
import { monthStart } from '../lib/time.js';
import type { Views } from '../render/engine.js';
import { formatDuration, formatMonth, zoneLabel } from '../render/format.js';
import { makeBody, type Body } from './body.js';
import { badgeDocuments } from './badges.js';
import type { PageState } from './build.js';
import { renderCalendar } from './calendar.js';
import { Feeds, type TextDocument } from './feeds.js';

const MONTHS_PER_PAGE = 3;

/** A short hash of a live fragment: what a page says it has when it (re)connects. */
export const fragmentHash = (html: string) => createHash('sha256').update(html).digest('base64url').slice(0, 12);
const HTML = 'text/html; charset=utf-8';
const ICS = 'text/calendar; charset=utf-8';
/** SQLite's "no limit". */
const ALL = -1;

/** The documents a component's id makes another: its feeds and its badge ("/badge.svg?component=ID"). */
const BY_COMPONENT = new Set(['/history.atom', '/history.rss', '/badge.svg']);
/** The paths whose query string may name another document (the fast path reads the query of these only). */
export const QUERY_DOCUMENTS: ReadonlySet<string> = new Set(['/history', ...BY_COMPONENT]);

/**
 * Where a public document is found among the snapshot's bodies: its path, for the history its page
 * ("/history?page=2"), for a feed or a badge its component ("/badge.svg?component=ID"); other query
 * strings do not make another document.
 */
export function documentKey(path: string, query: { page?: unknown; component?: unknown } = {}): string {
  if (BY_COMPONENT.has(path)) return typeof query.component === 'string' && query.component !== '' ? `${path}?component=${query.component}` : path;
  if (path !== '/history' || typeof query.page !== 'string') return path;
  const n = Number.parseInt(query.page, 10);
  return n > 1 ? `/history?page=${n}` : path;
}

/**
 * Every public document besides the status page and the v2 JSON, rebuilt with them after each change:
 * each incident's and maintenance window's page and calendar file, the maintenance feed, the history
 * page by page, the notices and each notice's every version, the subscribe form, the Atom and RSS
 * feeds and the status badges, the page's and each component's. Only documents
 * whose content changed are rendered again: the rest keep their bytes (and compressed forms) from the
 * last build, so a change to one incident costs one page, not hundreds.
 */
export class PublicDocuments {
  private cache = new Map<string, { input: string; body: Body }>();
  private readonly feeds = new Feeds();

  /** `brand`: the page's branding as the snapshot read it (its name is already `config.pageName`); `state`: what the page shows. */
  build(db: Db, views: Views, config: Config, now: Date, brand: Branding, state: PageState): Map<string, Body> {
    const out = new Map<string, Body>();
    const tz = config.timeZone;
    const common = { pageName: config.pageName, brand, timeZone: tz, zoneLabel: zoneLabel(tz, now) };
    const page = (key: string, view: string, data: Record<string, unknown>) =>
      this.keep(out, key, { view, ...common, ...data }, () => makeBody(views.render(view, { ...common, ...data }, 'public'), HTML));

    const all = listRecent(db, ALL, ['incident', 'maintenance']);
    for (const incident of all) {
      const resolved = incident.kind === 'incident' && isResolved(incident.status) && incident.resolved_at;
      const data = {
        title: incident.name,
        incident,
        resolvedAfter: resolved ? formatDuration(incident.started_at, incident.resolved_at ?? incident.started_at) : undefined,
        updates: incident.incident_updates,
      };
      // The page's live region, rendered first so that the page carries its hash (realtime/incident-rooms.ts).
      this.keep(out, `/incidents/${incident.id}`, { view: 'public/incident', ...common, ...data }, () => {
        const liveHtml = views.partial('public/incident-live', { ...common, ...data }).trim();
        return makeBody(views.render('public/incident', { ...common, ...data, liveHtml, liveHash: fragmentHash(liveHtml), live: true }, 'public'), HTML);
      });
      if (incident.kind === 'maintenance') {
        this.keep(out, `/incidents/${incident.id}.ics`, { ics: incident, common }, () =>
          makeBody(renderCalendar(config, [incident], incident.name), ICS, { 'Content-Disposition': `attachment; filename="maintenance-${incident.id}.ics"` }),
        );
      }
    }
    const windows = [...listMaintenance(db, 'open'), ...listMaintenance(db, 'all').filter((m) => m.status === 'completed')];
    this.keep(out, '/maintenance.ics', { feed: windows, common }, () => makeBody(renderCalendar(config, windows, `${config.pageName} maintenance`), ICS));
    const texts = [...this.feeds.build(views, config, all, state.v2.components, state.updatedAt), ...badgeDocuments(state, config.pageName)];
    for (const doc of texts) this.keepText(out, doc);

    const incidents = all.filter((i) => i.kind === 'incident');
    const display = getDisplay(db);
    for (let n = 1; ; n++) {
      const history = historyPage(incidents, now, tz, n, display);
      page(documentKey('/history', { page: String(n) }), 'public/history', history);
      if (!history.older) break;
    }

    const notices = allCommunications(db);
    const series = new Map<string, Communication[]>();
    for (const n of notices) series.set(n.series_id, [...(series.get(n.series_id) ?? []), n]);
    const latest = [...series.values()].map((versions) => versions[0]).filter((n): n is Communication => n !== undefined);
    page('/notices', 'public/notices', { title: 'Notices', notices: latest.sort((a, b) => b.published_at.localeCompare(a.published_at)).slice(0, 100) });
    for (const notice of notices) {
      const versions = series.get(notice.series_id) ?? [];
      const newest = versions[0];
      page(`/notices/${notice.id}`, 'public/notice', {
        title: notice.title,
        notice,
        ...noticeSections(notice),
        versions: versions.length > 1 ? versions : [],
        supersededBy: newest && newest.id !== notice.id ? newest : undefined,
      });
    }

    page('/subscribe', 'public/subscribe', {
      title: 'Subscribe to updates',
      components: orderedComponents(pageLayout(db)),
      gate: getGate(db),
      values: { scope: 'all' },
    });
    // Documents gone (a deleted incident) leave the cache with the build.
    for (const key of this.cache.keys()) if (!out.has(key)) this.cache.delete(key);
    return out;
  }

  /** The document rendered again only when what it is made of changed. */
  private keep(out: Map<string, Body>, key: string, made: unknown, render: () => Body): void {
    const input = JSON.stringify(made);
    let entry = this.cache.get(key);
    if (entry?.input !== input) {
      entry = { input, body: render() };
      this.cache.set(key, entry);
    }
    out.set(key, entry.body);
  }

  /** A document made as text (a feed, a badge): written, and its bytes hashed, only when what it is made of changed. */
  private keepText(out: Map<string, Body>, doc: TextDocument): void {
    const key = documentKey(doc.path, { component: doc.component });
    let entry = this.cache.get(key);
    if (entry?.input !== doc.input) {
      entry = { input: doc.input, body: makeBody(doc.render(), doc.type, doc.headers) };
      this.cache.set(key, entry);
    }
    out.set(key, entry.body);
  }
}

/**
 * One page of the history: three months, newest first, with each month's resolution figures; a link to
 * older months while there are older incidents. (Pages past the last are rendered on request, from the
 * same function: http/public/documents.ts.)
 */
export function historyPage(incidents: Incident[], now: Date, tz: string, pageNumber: number, display: Display) {
  const oldest = incidents.reduce<string | undefined>((min, i) => (min === undefined || i.started_at < min ? i.started_at : min), undefined);
  const months = [];
  for (let n = 0; n < MONTHS_PER_PAGE; n++) {
    const back = (pageNumber - 1) * MONTHS_PER_PAGE + n;
    const from = monthStart(now, tz, back).toISOString();
    const to = monthStart(now, tz, back - 1).toISOString();
    const inMonth = incidents
      .filter((i) => i.started_at >= from && i.started_at < to)
      .map((i) => ({ ...i, duration: i.resolved_at ? formatDuration(i.started_at, i.resolved_at) : undefined }));
    // The resolution figures only where the page's owner chose to publish them (Admin → Settings).
    months.push({
      label: formatMonth(from, tz),
      incidents: inMonth,
      count: inMonth.length,
      figures: display.showResolutionFigures ? resolutionFigures(inMonth) : undefined,
    });
  }
  const lastShown = monthStart(now, tz, pageNumber * MONTHS_PER_PAGE - 1).toISOString();
  return {
    title: 'Incident history',
    months,
    newer: pageNumber > 1 ? pageNumber - 1 : undefined,
    older: oldest && oldest < lastShown ? pageNumber + 1 : undefined,
  };
}
