import { createHash } from 'node:crypto';
import { getDisplay } from '../domain/page/display.js';
import type { Branding } from '../domain/page/branding.js';
import type { Config } from '../config.js';
import type { Db } from '../db/open.js';
import { listMaintenance } from '../domain/incidents/queries.js';
import { orderedComponents, pageLayout } from '../domain/page/order.js';
import { isResolved } from '../domain/page/status.js';
import type { Communication } from '../domain/subscribers/communications.js';
import { getGate } from '../domain/subscribers/gate.js';
import type { Views } from '../render/engine.js';
import { formatDuration, zoneLabel } from '../render/format.js';
import { makeBody, type Body } from './body.js';
import { badgeDocuments } from './badges.js';
import type { PageState } from './build.js';
import { renderCalendar } from './calendar.js';
import { Feeds, type TextDocument } from './feeds.js';
import { HistoryPages } from './history.js';
import { notFoundDocuments } from './not-found.js';
import { noticePageData } from './notice-page.js';
import { isOngoing, PageIndex, type IndexChanges } from './page-index.js';

/** A short hash of a live fragment: what a page says it has when it (re)connects. */
export const fragmentHash = (html: string) => createHash('sha256').update(html).digest('base64url').slice(0, 12);
const HTML = 'text/html; charset=utf-8';
const ICS = 'text/calendar; charset=utf-8';

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

type Common = { pageName: string; brand: Branding; timeZone: string; zoneLabel: string };

/**
 * Every public document besides the status page and the v2 JSON: each incident's and maintenance
 * window's page and calendar file, the maintenance feed, the history page by page, the notices and each
 * notice's every version, the subscribe form, the webhooks' page, the Atom and RSS feeds and the status
 * badges, the page's and each component's, and the not-found answers. Kept from build to build: what
 * the page index (page-index.ts) read again is made again, and what it touches (the history pages it
 * left and joined, the feeds it is in); the rest keeps its bytes (and compressed forms). The page's
 * name, branding, zone or address changing makes everything again; the display choices, every history
 * page.
 */
export class PublicDocuments {
  private readonly index = new PageIndex();
  private readonly history = new HistoryPages();
  private readonly feeds = new Feeds();
  private readonly docs = new Map<string, Body>();
  /** What the small documents (feeds, badges, forms) were last made of: made again only when it changed. */
  private readonly made = new Map<string, string>();
  private textKeys = new Set<string>();
  private commonKey = '';
  private displayKey = '';

  /** `brand`: the page's branding as the snapshot read it (its name is already `config.pageName`); `state`: what the page shows. */
  build(db: Db, views: Views, config: Config, now: Date, brand: Branding, state: PageState): ReadonlyMap<string, Body> {
    const changes = this.index.sync(db);
    const tz = config.timeZone;
    const common: Common = { pageName: config.pageName, brand, timeZone: tz, zoneLabel: zoneLabel(tz, now) };
    const commonKey = JSON.stringify([common, config.publicUrl]);
    const everything = changes.full || commonKey !== this.commonKey;
    this.commonKey = commonKey;
    const page = (view: string, data: Record<string, unknown>) => makeBody(views.render(view, { ...common, ...data }, 'public'), HTML);

    for (const id of everything ? [...this.index.incidents.keys()] : changes.incidents.map((c) => c.id)) this.incidentPage(id, views, config, common);
    const windowChanged = changes.incidents.some((c) => c.before?.incident.kind === 'maintenance' || c.after?.incident.kind === 'maintenance');
    if (everything || windowChanged) {
      const windows = [...listMaintenance(db, 'open'), ...listMaintenance(db, 'all').filter((m) => m.status === 'completed')];
      this.docs.set('/maintenance.ics', makeBody(renderCalendar(config, windows, `${config.pageName} maintenance`), ICS));
    }

    const display = getDisplay(db);
    const displayKey = JSON.stringify(display);
    const history = this.history.update(this.index, changes, now, tz, everything || displayKey !== this.displayKey);
    this.displayKey = displayKey;
    for (const n of history.render)
      this.docs.set(documentKey('/history', { page: String(n) }), page('public/history', this.history.page(this.index, n, display)));
    for (const n of history.gone) this.docs.delete(documentKey('/history', { page: String(n) }));

    this.feeds.update(this.index, changes);
    const texts = [...this.feeds.documents(this.index, views, config, state.v2.components, state.updatedAt), ...badgeDocuments(state, config.pageName)];
    const textKeys = new Set(texts.map((doc) => this.keepText(doc)));
    // A component deleted takes its feeds and badge along.
    for (const key of this.textKeys) if (!textKeys.has(key)) this.forget(key);
    this.textKeys = textKeys;

    this.notices(page, changes, everything);
    const subscribe = { title: 'Subscribe to updates', components: orderedComponents(pageLayout(db)), gate: getGate(db), values: { scope: 'all' } };
    this.keep('/subscribe', JSON.stringify([commonKey, subscribe]), () => page('public/subscribe', subscribe));
    this.keep('/webhooks', commonKey, () => page('public/webhooks', { title: 'Webhooks', publicUrl: config.publicUrl }));
    if (everything) for (const [key, body] of notFoundDocuments(views, common)) this.docs.set(key, body);
    return this.docs;
  }

  /** An incident's or window's page (and a window's calendar file), or none once it is deleted. */
  private incidentPage(id: string, views: Views, config: Config, common: Common): void {
    const incident = this.index.incidents.get(id)?.incident;
    if (!incident) {
      this.docs.delete(`/incidents/${id}`);
      this.docs.delete(`/incidents/${id}.ics`);
      return;
    }
    const resolved = incident.kind === 'incident' && isResolved(incident.status) && incident.resolved_at;
    const data = {
      ...common,
      title: incident.name,
      incident,
      resolvedAfter: resolved ? formatDuration(incident.started_at, incident.resolved_at ?? incident.started_at) : undefined,
      updates: incident.incident_updates,
      // A past incident lists its components without their status now (which a change of it would make every such page again).
      liveComponents: isOngoing(incident),
    };
    // The page's live region, rendered first so that the page carries its hash (realtime/incident-rooms.ts).
    const liveHtml = views.partial('public/incident-live', data).trim();
    this.docs.set(
      `/incidents/${id}`,
      makeBody(views.render('public/incident', { ...data, liveHtml, liveHash: fragmentHash(liveHtml), live: true }, 'public'), HTML),
    );
    if (incident.kind === 'maintenance') {
      this.docs.set(
        `/incidents/${id}.ics`,
        makeBody(renderCalendar(config, [incident], incident.name), ICS, { 'Content-Disposition': `attachment; filename="maintenance-${id}.ics"` }),
      );
    }
  }

  /** The notices' list and each version's page: the notices with a new version (all when `everything`). */
  private notices(page: (view: string, data: Record<string, unknown>) => Body, changes: IndexChanges, everything: boolean): void {
    const series = everything ? [...this.index.series.keys()] : [...changes.series];
    if (!everything && series.length === 0) return;
    for (const id of series) {
      const versions = this.index.series.get(id) ?? [];
      for (const notice of versions) this.docs.set(`/notices/${notice.id}`, page('public/notice', noticePageData(notice, versions)));
    }
    const latest = [...this.index.series.values()].map((versions) => versions[0]).filter((n): n is Communication => n !== undefined);
    this.docs.set(
      '/notices',
      page('public/notices', { title: 'Notices', notices: latest.sort((a, b) => b.published_at.localeCompare(a.published_at)).slice(0, 100) }),
    );
  }

  /** A small document made again only when what it is made of (`input`) changed. */
  private keep(key: string, input: string, make: () => Body): void {
    if (this.made.get(key) === input && this.docs.has(key)) return;
    this.docs.set(key, make());
    this.made.set(key, input);
  }

  /** A document made as text (a feed, a badge): written, and its bytes hashed, only when what it is made of changed. */
  private keepText(doc: TextDocument): string {
    const key = documentKey(doc.path, { component: doc.component });
    this.keep(key, doc.input, () => makeBody(doc.render(), doc.type, doc.headers));
    return key;
  }

  private forget(key: string): void {
    this.docs.delete(key);
    this.made.delete(key);
  }
}
