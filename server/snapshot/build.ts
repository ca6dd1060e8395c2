import type { Config } from '../config.js';
import type { Db } from '../db/open.js';
import { latestCommunications, type Communication } from '../domain/subscribers/communications.js';
import { getGate, type GateMode } from '../domain/subscribers/gate.js';
import { uptimeBars, type ComponentUptime } from '../domain/page/uptime.js';
import { orderedComponents, pageLayout, type LayoutItem } from '../domain/page/order.js';
import { listMaintenance, listRecent, listStartedBetween, listUnresolved, type Incident } from '../domain/incidents/queries.js';
import { INDICATOR_DESCRIPTIONS, pageIndicator } from '../domain/page/status.js';
import { dayKey, daysBefore, formatDate, fromZonedInput } from '../lib/time.js';
import { componentsShape, incidentShape, maintenanceShape, pagePositions, type MaintenanceShape, type PageShape, type StatusShape } from './shapes.js';
import { resolutionOf, type Resolution } from './resolution.js';
import { maintenanceCard, type MaintenanceCard } from './maintenance-card.js';

const DAY_MS = 86_400_000;
export const PAST_DAYS = 7;
/** Incidents a day lists in full (with their latest update); the rest are counted, and the history has them. */
export const PAST_PER_DAY = 25;
const NOTICE_DAYS = 30;

/** An incident of the past days: open or resolved, with how long it lasted once resolved. */
export type PastIncident = Incident & { resolution: Resolution | undefined };

export interface PastDay {
  key: string;
  label: string;
  incidents: PastIncident[];
  /** The day's incidents beyond PAST_PER_DAY (an alert storm): a region every viewer is sent stays bounded. */
  more: number;
}

export interface PageState {
  status: StatusShape;
  updatedAt: string;
  /** Layout for the page: groups with their visible components, and ungrouped components. */
  layout: LayoutItem[];
  unresolved: Incident[];
  pastDays: PastDay[];
  /** The newest version of each official notice of the last 30 days. */
  notices: Communication[];
  /** Maintenance windows scheduled or in progress. */
  upcomingMaintenance: MaintenanceCard[];
  activeMaintenance: MaintenanceCard[];
  /** 90-day bars and uptime % of the components that showcase them, by component id. */
  uptime: Record<string, ComponentUptime>;
  /** Whether the subscribe form takes new addresses: and from which domains, and whether it closed itself. */
  gateMode: GateMode;
  gate: { domains: string[]; closedByItself: boolean };
  v2: {
    page: PageShape;
    status: StatusShape;
    components: ReturnType<typeof componentsShape>;
    unresolved: ReturnType<typeof incidentShape>[];
    recent: ReturnType<typeof incidentShape>[];
    maintenance: { all: MaintenanceShape[]; upcoming: MaintenanceShape[]; active: MaintenanceShape[] };
  };
}

const visible = (c: { only_show_if_degraded: boolean; status: string }) => !(c.only_show_if_degraded && c.status === 'operational');

/** Everything the public page and the v2 API show, read in one pass over the database. */
export function buildPageState(db: Db, opts: { config: Config; pageId: string; now: Date }): PageState {
  const { config, pageId, now } = opts;
  const tz = config.timeZone;
  const layout = pageLayout(db);
  const components = orderedComponents(layout);
  const unresolved = listUnresolved(db);
  const recent = listRecent(db, 50);
  const indicator = pageIndicator(
    components.map((c) => c.status),
    unresolved.map((i) => i.impact),
  );
  const status: StatusShape = { indicator, description: INDICATOR_DESCRIPTIONS[indicator] };
  const lastEvent = db.prepare('SELECT created_at FROM events WHERE id = (SELECT MAX(id) FROM events)').pluck().get() as string | undefined;
  const updatedAt = lastEvent ?? now.toISOString();

  const today = dayKey(now.toISOString(), tz);
  const firstDay = daysBefore(today, PAST_DAYS - 1);
  const from = fromZonedInput(`${firstDay}T00:00`, tz) ?? new Date(now.getTime() - PAST_DAYS * DAY_MS);
  // Every incident of each day, open or resolved, as Statuspage lists them: an open one is not "No incidents reported".
  const past = listStartedBetween(db, from.toISOString(), new Date(now.getTime() + DAY_MS).toISOString()).map((i) => ({
    ...i,
    resolution: resolutionOf(i),
  }));
  const pastDays: PastDay[] = [];
  for (let n = 0; n < PAST_DAYS; n++) {
    const key = daysBefore(today, n);
    // Noon is on the right calendar day in every zone, DST or not.
    const noon = fromZonedInput(`${key}T12:00`, tz) ?? new Date(`${key}T12:00:00Z`);
    const ofDay = past.filter((i) => dayKey(i.started_at, tz) === key);
    pastDays.push({ key, label: formatDate(noon.toISOString(), tz), incidents: ofDay.slice(0, PAST_PER_DAY), more: Math.max(0, ofDay.length - PAST_PER_DAY) });
  }

  const positions = pagePositions(layout);
  const upcomingMaintenance = listMaintenance(db, 'upcoming').map(maintenanceCard);
  const activeMaintenance = listMaintenance(db, 'active').map(maintenanceCard);
  const maint = (list: Incident[]) => list.map((i) => maintenanceShape(i, pageId, config.publicUrl, positions));
  const page: PageShape = { id: pageId, name: config.pageName, url: config.publicUrl, time_zone: tz, updated_at: updatedAt };
  const gate = getGate(db);
  return {
    status,
    updatedAt,
    layout: layout
      .map((item) => (item.kind === 'group' ? { ...item, components: item.components.filter(visible) } : item))
      .filter((item) => (item.kind === 'group' ? item.components.length > 0 : visible(item.component))),
    unresolved,
    pastDays,
    notices: latestCommunications(db, new Date(now.getTime() - NOTICE_DAYS * DAY_MS).toISOString(), 20),
    gateMode: gate.mode,
    gate: { domains: gate.domains, closedByItself: Boolean(gate.autoSwitchedAt) },
    upcomingMaintenance,
    activeMaintenance,
    uptime: Object.fromEntries(
      uptimeBars(
        db,
        tz,
        now,
        components.filter((c) => c.showcase).map((c) => c.id),
      ),
    ),
    v2: {
      page,
      status,
      components: componentsShape(layout, pageId),
      unresolved: unresolved.map((i) => incidentShape(i, pageId, config.publicUrl, positions)),
      recent: recent.map((i) => incidentShape(i, pageId, config.publicUrl, positions)),
      maintenance: { all: maint(listMaintenance(db, 'all')), upcoming: maint(upcomingMaintenance), active: maint(activeMaintenance) },
    },
  };
}
