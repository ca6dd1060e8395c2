import { createHash } from 'node:crypto';
import type { Config } from '../config.js';
import type { Db } from '../db/open.js';
import { lastEventId } from '../domain/write-path.js';
import type { Clock } from '../context.js';
import type { Log } from '../log.js';
import type { Views } from '../render/engine.js';
import { dayKey, daysBefore } from '../lib/time.js';
import { dayStart } from '../domain/page/uptime.js';
import { worstComponentStatus } from '../domain/page/status.js';
import { brandCss, getBranding } from '../domain/page/branding.js';
import { pageZone } from '../domain/page/time-zone.js';
import { getLogo } from '../domain/page/logo.js';
import { getEmbed } from '../domain/page/embed.js';
import { makeBody, type Body } from './body.js';
import { PublicDocuments } from './documents.js';
import { EmbedDocuments } from './embed.js';
import { buildPageState, type PageState } from './build.js';

export type { Body } from './body.js';

export const REGIONS = ['banner', 'notices', 'maintenance', 'components', 'incidents', 'past', 'subscribe'] as const;
export type Region = (typeof REGIONS)[number];

/** The whole live state of the page, from which each viewer is sent what it lacks. */
export interface LiveState {
  version: number;
  title: string;
  status: PageState['status'];
  html: Record<Region, string>;
  /** A short hash per region: the page replaces only the regions that changed (not a form being typed in). */
  hashes: Record<Region, string>;
  /** Each component row's HTML by component id; the components region is made of them. */
  rows: Record<string, string>;
  /** The components region without its rows (groups, order, which components show). */
  layoutKey: string;
}

/** What a viewer receives: the regions it lacks, or only the component rows that changed. */
export interface PageUpdate {
  version: number;
  title: string;
  status: PageState['status'];
  html: Partial<Record<Region, string>>;
  rows?: Record<string, string>;
  /** With rows: the components region's hash they apply to. */
  base?: string;
  hashes: Record<Region, string>;
}

export interface SnapshotState {
  version: number;
  builtAt: number;
  /** The start of the next day in the page's zone: the page's "past days" move on then. */
  validUntil: number;
  state: PageState;
  /** Every public document by its key (documents.ts documentKey): "/", "/api/v2/summary.json", "/incidents/…", ... */
  bodies: Map<string, Body>;
  /** What live viewers are sent from (see realtime/payload.ts). */
  live: LiveState;
}

/**
 * What serves public reads and live viewers: this snapshot on the primary, a replica of it on an edge
 * (cluster/replication). Each state holds every public document and the live payload, at a version.
 */
export interface ReadModel {
  current(): Pick<SnapshotState, 'version' | 'bodies' | 'live'>;
  onChange(listener: (s: Pick<SnapshotState, 'version' | 'bodies' | 'live'>) => void): () => void;
}

const REFRESH_MS = 5 * 60_000;

const shortHash = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 12);

/** What the components region shows besides its rows: groups, their names, the order, which components. */
function layoutKey(layout: PageState['layout']): string {
  // A group's own status is drawn in its heading: when it changes, the region is sent whole, not only rows.
  return JSON.stringify(
    layout.map((item) =>
      item.kind === 'group'
        ? [item.group.id, item.group.name, item.components.map((c) => c.id), worstComponentStatus(item.components.map((c) => c.status))]
        : item.component.id,
    ),
  );
}

/**
 * What the public sees, rebuilt once after each committed change (and when the day turns), so that
 * reads never query the domain tables: the page's HTML, the v2 JSON bodies and the live payload.
 */
export class Snapshot implements ReadModel {
  private snapshot: SnapshotState | undefined;
  /** Set when a rebuild failed: the next read tries again instead of serving the old state forever. */
  private stale = false;
  private failedAt = 0;
  private readonly listeners = new Set<(s: SnapshotState) => void>();
  private documents = new PublicDocuments();
  private readonly embed = new EmbedDocuments();

  constructor(private readonly deps: { db: Db; views: Views; config: Config; pageId: string; clock: Clock; log: Log }) {}

  /** The newest committed change not rebuilt yet (0: none). */
  private pending = 0;
  private scheduled: NodeJS.Immediate | undefined;

  /**
   * A change was committed (compose.ts's wire() calls this for every 'page.changed'). Rebuilt once the
   * code that committed has finished (so an operator's response is written before thousands of viewers
   * are sent the change), and once for changes committed together. A read in between rebuilds at once:
   * nobody reads a state older than a commit.
   */
  changed(eventId: number): void {
    this.pending = Math.max(this.pending, eventId);
    this.scheduled ??= setImmediate(() => {
      this.scheduled = undefined;
      this.catchUp();
    });
  }

  /** Data the page shows changed without a public change (the uptime rollup): rebuilt as it stands. */
  recomputed(): void {
    this.rebuild(Math.max(this.snapshot?.version ?? 0, this.pending));
  }

  /** No rebuild left scheduled (the process is stopping). */
  close(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
  }

  private catchUp(): void {
    if (!this.pending || (this.snapshot && !this.stale && this.pending <= this.snapshot.version)) return;
    // A context closed right after a change (a script, a test) has nothing left to show.
    if (!this.deps.db.open) return;
    try {
      this.rebuild(this.pending);
    } catch (err) {
      this.stale = true;
      this.deps.log.error({ err, version: this.pending }, 'snapshot rebuild failed');
    }
  }

  /**
   * Also picks up changes committed by another process on the same database (a script, a restore),
   * which emit no event here: checked every `intervalMs` against the events table's last id.
   */
  watch(intervalMs = 1000): () => void {
    const timer = setInterval(() => {
      try {
        const version = lastEventId(this.deps);
        // Also every few minutes, so that today's uptime bar keeps counting an outage that is still going on.
        const old = !this.snapshot || this.deps.clock.now().getTime() - this.snapshot.builtAt > REFRESH_MS;
        if (this.stale || !this.snapshot || version > this.snapshot.version || old) this.rebuild(version);
      } catch (err) {
        this.stale = true;
        this.deps.log.error({ err }, 'snapshot refresh failed');
      }
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  onChange(listener: (s: SnapshotState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The state as of the last committed change. If rebuilding fails, the last good state is served (and
   * the failure logged, retried at most once a second) rather than failing every read: only a process
   * that never built one throws.
   */
  current(): SnapshotState {
    const now = this.deps.clock.now().getTime();
    const old = this.snapshot;
    // A number comparison on the hot path; the calendar arithmetic happens once per rebuild.
    // Only a pending commit of this process: its id is known. Otherwise (first build, failed build, a new
    // day) the database says what the last change was.
    const onlyPending = old && !this.stale && now < old.validUntil;
    if (onlyPending && this.pending <= old.version) return old;
    if (old && this.stale && now - this.failedAt < 1000) return old;
    try {
      return this.rebuild(onlyPending ? this.pending : Math.max(lastEventId(this.deps), this.pending));
    } catch (err) {
      if (!old) throw err;
      this.stale = true;
      this.failedAt = now;
      this.deps.log.error({ err }, 'snapshot rebuild failed; serving the last good state');
      return old;
    }
  }

  /** Each visible component's row, rendered once; its data-hash tells a live page whether it has it. */
  private renderRows(state: PageState, timeZone: string): Record<string, string> {
    const rows: Record<string, string> = {};
    const components = state.layout.flatMap((item) => (item.kind === 'group' ? item.components : [item.component]));
    for (const c of components) {
      // The hash of what the row shows (not of its data: today's minutes move on while the row stays the same).
      const html = this.deps.views.partial('status/component-row', { ...c, rowHash: '', uptime: state.uptime, timeZone }).trim();
      rows[c.id] = html.replace('data-hash=""', `data-hash="${shortHash(html)}"`);
    }
    return rows;
  }

  /** The documents' build: after a failure they are all made again (what it had read may not have been made). */
  private build<T>(make: () => T): T {
    try {
      return make();
    } catch (err) {
      this.documents = new PublicDocuments();
      throw err;
    }
  }

  rebuild(version: number): SnapshotState {
    if (this.snapshot && !this.stale && version < this.snapshot.version) return this.snapshot;
    const { db, views, pageId, clock } = this.deps;
    // The name and links from Admin → Settings → Branding over PAGE_NAME, and the zone chosen there over
    // TIME_ZONE: every document is rendered with them.
    const brand = getBranding(db, this.deps.config);
    const config = { ...this.deps.config, pageName: brand.pageName, timeZone: pageZone({ db, config: this.deps.config }) };
    const now = clock.now();
    const state = buildPageState(db, { config, pageId, now });
    const data = { ...state, pageName: config.pageName, brand, timeZone: config.timeZone };
    const rows = this.renderRows(state, config.timeZone);
    const html: Record<Region, string> = {
      banner: views.partial('status/banner', data),
      notices: views.partial('status/notices', data),
      maintenance: views.partial('status/maintenance', data),
      subscribe: views.partial('status/subscribe', data),
      components: views.partial('status/components', { ...data, rows, layoutHash: shortHash(layoutKey(state.layout)) }),
      incidents: views.partial('status/incidents', data),
      past: views.partial('status/past', data),
    };
    const title = state.status.indicator === 'none' ? config.pageName : `${state.status.description} · ${config.pageName}`;
    const hashes = Object.fromEntries(REGIONS.map((k) => [k, shortHash(html[k])])) as Record<Region, string>;
    const page = views.render('public/status', { ...data, title, fragments: html, hashes, version, live: true }, 'public');
    const v2 = state.v2;
    const json = (value: unknown) => makeBody(JSON.stringify(value), 'application/json; charset=utf-8');
    // Every other public document (incident pages, history, notices, calendars, forms, feeds, badges, the
    // not-found answers), kept from the last build and copied: an older state's bodies never change.
    const bodies = new Map<string, Body>(this.build(() => this.documents.build(db, views, config, now, brand, state)));
    bodies.set('/', makeBody(page, 'text/html; charset=utf-8'));
    bodies.set(
      '/api/v2/summary.json',
      json({
        page: v2.page,
        components: v2.components,
        incidents: v2.unresolved,
        scheduled_maintenances: [...v2.maintenance.active, ...v2.maintenance.upcoming],
        status: v2.status,
      }),
    );
    bodies.set('/api/v2/status.json', json({ page: v2.page, status: v2.status }));
    bodies.set('/brand.css', makeBody(brandCss(brand), 'text/css; charset=utf-8'));
    bodies.set('/api/v2/components.json', json({ page: v2.page, components: v2.components }));
    bodies.set('/api/v2/incidents.json', json({ page: v2.page, incidents: v2.recent }));
    bodies.set('/api/v2/incidents/unresolved.json', json({ page: v2.page, incidents: v2.unresolved }));
    bodies.set('/api/v2/scheduled-maintenances.json', json({ page: v2.page, scheduled_maintenances: v2.maintenance.all }));
    bodies.set('/api/v2/scheduled-maintenances/upcoming.json', json({ page: v2.page, scheduled_maintenances: v2.maintenance.upcoming }));
    bodies.set('/api/v2/scheduled-maintenances/active.json', json({ page: v2.page, scheduled_maintenances: v2.maintenance.active }));
    // The uploaded logo, served from the read model like the page (edges have it too).
    const logo = brand.logo ? getLogo(db) : undefined;
    if (logo) bodies.set('/brand/logo', makeBody(logo.bytes, logo.type));
    // The embed another site shows (/embed/script.js, /embed/frame), with its settings.
    for (const [key, body] of this.embed.build(views, state, getEmbed(db), { pageName: config.pageName, timeZone: config.timeZone })) bodies.set(key, body);
    this.stale = false;
    this.snapshot = {
      version,
      builtAt: now.getTime(),
      validUntil: dayStart(daysBefore(dayKey(now.toISOString(), config.timeZone), -1), config.timeZone).getTime(),
      state,
      bodies,
      live: { version, title, status: state.status, html, hashes, rows, layoutKey: layoutKey(state.layout) },
    };
    for (const listener of this.listeners) listener(this.snapshot);
    return this.snapshot;
  }
}
