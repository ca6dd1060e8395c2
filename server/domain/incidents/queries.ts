import type { Db } from '../../db/open.js';
import { NotFound } from '../../errors.js';
import type { Component } from '../page/components.js';
import { componentFromRow, type ComponentRow } from '../page/components.js';
import type { ComponentStatus, Impact, IncidentStatus } from '../page/status.js';

export interface AffectedComponent {
  code: string;
  name: string;
  old_status: ComponentStatus;
  new_status: ComponentStatus;
}

export interface IncidentUpdate {
  id: string;
  incident_id: string;
  status: IncidentStatus;
  body: string;
  deliver_notifications: boolean;
  author: string;
  display_at: string;
  created_at: string;
  updated_at: string;
  affected_components: AffectedComponent[];
}

export interface Incident {
  id: string;
  kind: 'incident' | 'maintenance';
  name: string;
  status: IncidentStatus;
  impact: Impact;
  impact_override: Exclude<Impact, 'maintenance'> | null;
  started_at: string;
  monitoring_at: string | null;
  resolved_at: string | null;
  created_at: string;
  updated_at: string;
  /** Maintenance windows (kind 'maintenance'); flags are 0 or 1 as SQLite keeps them. */
  scheduled_for: string | null;
  scheduled_until: string | null;
  scheduled_remind_prior: number;
  scheduled_auto_in_progress: number;
  scheduled_auto_completed: number;
  notify_on_start: number;
  notify_on_completion: number;
  reminded_at: string | null;
  cancelled_at: string | null;
  /** The data-protection clock (GDPR Art. 33). */
  personal_data_at_risk: number;
  aware_at: string | null;
  authority_notified_at: string | null;
  authority_reference: string;
  postmortem_draft: string | null;
  postmortem_draft_at: string | null;
  postmortem_body: string | null;
  postmortem_body_at: string | null;
  postmortem_published_at: string | null;
  postmortem_notified: number;
  postmortem_update_id: string | null;
  delay_reasons: string;
  dp_reminders_sent: string;
  /** The affected components as they are now. */
  components: Component[];
  /** Newest first. */
  incident_updates: IncidentUpdate[];
}

type IncidentRow = Omit<Incident, 'components' | 'incident_updates'>;
type UpdateRow = Omit<IncidentUpdate, 'affected_components' | 'deliver_notifications'> & { deliver_notifications: number };
type UpdateComponentRow = { update_id: string; component_id: string; name: string; old_status: ComponentStatus; new_status: ComponentStatus };

/** Loads incidents with their updates and components in three queries, whatever their number. */
function hydrate(db: Db, rows: IncidentRow[]): Incident[] {
  if (rows.length === 0) return [];
  const ids = JSON.stringify(rows.map((r) => r.id));
  const updates = db
    .prepare(
      `SELECT * FROM incident_updates WHERE incident_id IN (SELECT value FROM json_each(?))
       ORDER BY display_at DESC, created_at DESC, rowid DESC`,
    )
    .all(ids) as UpdateRow[];
  const changes = db
    .prepare(
      `SELECT c.* FROM incident_update_components c JOIN incident_updates u ON u.id = c.update_id
       WHERE u.incident_id IN (SELECT value FROM json_each(?)) ORDER BY c.position`,
    )
    .all(ids) as UpdateComponentRow[];
  const links = db
    .prepare(
      // In page order: groups and ungrouped components share one order, a group's components their own.
      `SELECT ic.incident_id, c.* FROM incident_components ic JOIN components c ON c.id = ic.component_id
       LEFT JOIN component_groups g ON g.id = c.group_id
       WHERE ic.incident_id IN (SELECT value FROM json_each(?)) ORDER BY COALESCE(g.position, c.position), g.id IS NOT NULL, c.position`,
    )
    .all(ids) as (ComponentRow & { incident_id: string })[];

  const changesByUpdate = new Map<string, AffectedComponent[]>();
  for (const c of changes) {
    const list = changesByUpdate.get(c.update_id) ?? [];
    list.push({ code: c.component_id, name: c.name, old_status: c.old_status, new_status: c.new_status });
    changesByUpdate.set(c.update_id, list);
  }
  const updatesByIncident = new Map<string, IncidentUpdate[]>();
  for (const u of updates) {
    const list = updatesByIncident.get(u.incident_id) ?? [];
    list.push({ ...u, deliver_notifications: u.deliver_notifications === 1, affected_components: changesByUpdate.get(u.id) ?? [] });
    updatesByIncident.set(u.incident_id, list);
  }
  const componentsByIncident = new Map<string, Component[]>();
  for (const { incident_id, ...row } of links) {
    const list = componentsByIncident.get(incident_id) ?? [];
    list.push(componentFromRow(row));
    componentsByIncident.set(incident_id, list);
  }
  return rows.map((r) => ({
    ...r,
    components: componentsByIncident.get(r.id) ?? [],
    incident_updates: updatesByIncident.get(r.id) ?? [],
  }));
}

export function findIncident(db: Db, id: string): Incident | undefined {
  const row = db.prepare('SELECT * FROM incidents WHERE id = ?').get(id) as IncidentRow | undefined;
  return row ? hydrate(db, [row])[0] : undefined;
}

/** The incidents and maintenance windows among `ids` (unknown ids are left out), in no particular order. */
export function findIncidents(db: Db, ids: string[]): Incident[] {
  if (ids.length === 0) return [];
  return hydrate(db, db.prepare('SELECT * FROM incidents WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(ids)) as IncidentRow[]);
}

/**
 * Every component as an incident lists it (hydrate's components): its row and its group's position,
 * which with its own decides where it is listed.
 */
export function listedComponents(db: Db): (ComponentRow & { group_position: number | null })[] {
  return db.prepare('SELECT c.*, g.position AS group_position FROM components c LEFT JOIN component_groups g ON g.id = c.group_id').all() as (ComponentRow & {
    group_position: number | null;
  })[];
}

export function getIncident(db: Db, id: string): Incident {
  const incident = findIncident(db, id);
  if (!incident) throw new NotFound('No such incident');
  return incident;
}

export function listUnresolved(db: Db): Incident[] {
  return hydrate(db, db.prepare("SELECT * FROM incidents WHERE kind = 'incident' AND resolved_at IS NULL ORDER BY started_at DESC").all() as IncidentRow[]);
}

/** The most recent incidents, resolved or not (Statuspage's incidents.json lists the last 50); maintenance apart. */
export function listRecent(db: Db, limit = 50, kinds: Incident['kind'][] = ['incident']): Incident[] {
  // One kind (the snapshot's case, after every change): read in the index's order, `limit` rows at most.
  const [kind] = kinds;
  const rows =
    kinds.length === 1 && kind
      ? db.prepare('SELECT * FROM incidents WHERE kind = ? ORDER BY started_at DESC, created_at DESC LIMIT ?').all(kind, limit)
      : db
          .prepare('SELECT * FROM incidents WHERE kind IN (SELECT value FROM json_each(?)) ORDER BY started_at DESC, created_at DESC LIMIT ?')
          .all(JSON.stringify(kinds), limit);
  return hydrate(db, rows as IncidentRow[]);
}

/** An incident as the new-incident form's question names it. */
export interface OpenedIncident {
  id: string;
  name: string;
  status: IncidentStatus;
  created_at: string;
}

/** Incidents (not maintenance) opened, as rows were created, at `since` or later, the newest first. */
export function openedSince(db: Db, since: string): OpenedIncident[] {
  return db
    .prepare("SELECT id, name, status, created_at FROM incidents WHERE kind = 'incident' AND created_at >= ? ORDER BY created_at DESC, rowid DESC")
    .all(since) as OpenedIncident[];
}

/** Incidents (not maintenance) that started in [from, to), newest first. */
export function listStartedBetween(db: Db, from: string, to: string): Incident[] {
  return hydrate(
    db,
    db
      .prepare("SELECT * FROM incidents WHERE kind = 'incident' AND started_at >= ? AND started_at < ? ORDER BY started_at DESC")
      .all(from, to) as IncidentRow[],
  );
}

/** The started_at of the oldest incident, for history paging. */
export function oldestStart(db: Db): string | undefined {
  return db.prepare("SELECT MIN(started_at) FROM incidents WHERE kind = 'incident'").pluck().get() as string | undefined;
}

export type MaintenanceFilter = 'upcoming' | 'active' | 'open' | 'all';

/**
 * Maintenance windows: upcoming (scheduled), active (in progress or verifying), open (both), or all
 * (the latest 50, completed included), ordered by their scheduled start.
 */
export function listMaintenance(db: Db, filter: MaintenanceFilter): Incident[] {
  const where = {
    upcoming: "status = 'scheduled'",
    active: "status IN ('in_progress', 'verifying')",
    open: "status IN ('scheduled', 'in_progress', 'verifying')",
    all: '1 = 1',
  }[filter];
  const order = filter === 'all' ? 'scheduled_for DESC LIMIT 50' : 'scheduled_for ASC';
  return hydrate(db, db.prepare(`SELECT * FROM incidents WHERE kind = 'maintenance' AND ${where} ORDER BY ${order}`).all() as IncidentRow[]);
}

/** A page of a list: at most `limit` rows after the first `offset`. */
export interface Paging {
  limit: number;
  offset: number;
}

/** LIKE's own characters typed in a search are searched for as text. */
const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Incidents and maintenance windows, newest first (Statuspage's v1 incidents list); with `q`, only those
 * whose name, status or any update's text contains it (case-insensitive for ASCII, as SQLite's LIKE).
 */
export function searchIncidents(db: Db, q: string, paging: Paging): Incident[] {
  const where = q
    ? `WHERE i.name LIKE @q ESCAPE '\\' OR i.status LIKE @q ESCAPE '\\'
         OR EXISTS (SELECT 1 FROM incident_updates u WHERE u.incident_id = i.id AND u.body LIKE @q ESCAPE '\\')`
    : '';
  const rows = db
    .prepare(`SELECT i.* FROM incidents i ${where} ORDER BY i.started_at DESC, i.created_at DESC, i.id LIMIT @limit OFFSET @offset`)
    .all({ ...(q ? { q: likePattern(q) } : {}), ...paging }) as IncidentRow[];
  return hydrate(db, rows);
}

/** A page of the unresolved incidents (not maintenance), newest first, as listUnresolved orders them. */
export function unresolvedPage(db: Db, paging: Paging): Incident[] {
  return hydrate(
    db,
    db
      .prepare("SELECT * FROM incidents WHERE kind = 'incident' AND resolved_at IS NULL ORDER BY started_at DESC, id LIMIT ? OFFSET ?")
      .all(paging.limit, paging.offset) as IncidentRow[],
  );
}

/**
 * A page of maintenance windows (see listMaintenance): upcoming and active soonest first; the completed
 * (cancelled included), and all of them, the latest scheduled first.
 */
export function maintenancePage(db: Db, filter: Exclude<MaintenanceFilter, 'open'> | 'completed', paging: Paging): Incident[] {
  const where = { upcoming: "status = 'scheduled'", active: "status IN ('in_progress', 'verifying')", completed: "status = 'completed'", all: '1 = 1' }[filter];
  const order = filter === 'all' || filter === 'completed' ? 'scheduled_for DESC, id' : 'scheduled_for ASC, id';
  return hydrate(
    db,
    db
      .prepare(`SELECT * FROM incidents WHERE kind = 'maintenance' AND ${where} ORDER BY ${order} LIMIT ? OFFSET ?`)
      .all(paging.limit, paging.offset) as IncidentRow[],
  );
}

/** A page of incidents (not maintenance), newest first; with `q`, those whose name or any update's text contains it. */
export function incidentListPage(db: Db, q: string, paging: Paging): Incident[] {
  const match = q
    ? `AND (i.name LIKE @q ESCAPE '\\' OR EXISTS (SELECT 1 FROM incident_updates u WHERE u.incident_id = i.id AND u.body LIKE @q ESCAPE '\\'))`
    : '';
  const rows = db
    .prepare(`SELECT i.* FROM incidents i WHERE i.kind = 'incident' ${match} ORDER BY i.started_at DESC, i.created_at DESC, i.id LIMIT @limit OFFSET @offset`)
    .all({ ...(q ? { q: likePattern(q) } : {}), ...paging }) as IncidentRow[];
  return hydrate(db, rows);
}
