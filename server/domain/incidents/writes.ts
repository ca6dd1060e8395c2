import type { Deps } from '../../context.js';
import type { Db } from '../../db/open.js';
import { Invalid } from '../../errors.js';
import { authorName, type Actor } from '../access/actors.js';
import { commitChange } from '../write-path.js';
import { findComponent, setStatuses } from '../page/components.js';
import { newId } from '../../lib/ids.js';
import { enqueueIncidentUpdate } from '../subscribers/outbox.js';
import { enqueueEndpointsForIncident } from '../subscribers/endpoint-deliveries.js';
import { mailHost } from '../subscribers/subscribers.js';
import { getIncident, type Incident } from './queries.js';
import { incidentPatchInput, newIncidentInput, updateEditInput, type IncidentPatch, type NewIncident, type UpdateEdit } from './schemas.js';
import {
  DEFAULT_UPDATE_BODIES,
  IMPACTS,
  impactFromComponentStatuses,
  isResolved,
  type ComponentStatus,
  type Impact,
  type IncidentStatus,
} from '../page/status.js';
import { parseInput } from '../../lib/validate.js';

export function checkComponents(db: Db, ids: Iterable<string>, field: (id: string) => string): void {
  const fields: Record<string, string> = {};
  for (const id of ids) if (!findComponent(db, id)) fields[field(id)] = 'No such component';
  if (Object.keys(fields).length) throw new Invalid(fields);
}

/**
 * Components something else still holds: open incidents (their status stands) and maintenance windows
 * in progress (the component is under maintenance). Resolving or ending one must not clear them.
 */
export function holders(db: Db, excludeId: string): { incidents: Set<string>; maintenance: Set<string> } {
  const rows = db
    .prepare(
      `SELECT ic.component_id, i.kind FROM incident_components ic JOIN incidents i ON i.id = ic.incident_id
       WHERE i.resolved_at IS NULL AND i.id <> ? AND (i.kind = 'incident' OR i.status IN ('in_progress', 'verifying'))`,
    )
    .all(excludeId) as { component_id: string; kind: string }[];
  return {
    incidents: new Set(rows.filter((r) => r.kind === 'incident').map((r) => r.component_id)),
    maintenance: new Set(rows.filter((r) => r.kind === 'maintenance').map((r) => r.component_id)),
  };
}

export function heldElsewhere(db: Db, incidentId: string): Set<string> {
  const h = holders(db, incidentId);
  return new Set([...h.incidents, ...h.maintenance]);
}

export function affectedIds(db: Db, incidentId: string): string[] {
  return db.prepare('SELECT component_id FROM incident_components WHERE incident_id = ?').pluck().all(incidentId) as string[];
}

export function addUpdate(
  ctx: Deps<'clock' | 'config' | 'db'>,
  actor: Actor,
  incidentId: string,
  update: { status: IncidentStatus; body: string; deliver_notifications: boolean; changes: Map<string, ComponentStatus> },
): void {
  const now = ctx.clock.now().toISOString();
  const id = newId();
  ctx.db
    .prepare(
      `INSERT INTO incident_updates (id, incident_id, status, body, deliver_notifications, author, display_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      id,
      incidentId,
      update.status,
      update.body || DEFAULT_UPDATE_BODIES[update.status],
      update.deliver_notifications ? 1 : 0,
      authorName(actor),
      now,
      now,
      now,
    );
  const link = ctx.db.prepare('INSERT OR IGNORE INTO incident_components (incident_id, component_id) VALUES (?, ?)');
  for (const componentId of update.changes.keys()) link.run(incidentId, componentId);
  const record = ctx.db.prepare(
    `INSERT INTO incident_update_components (update_id, component_id, name, old_status, new_status, position)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  setStatuses(ctx.db, update.changes, now).forEach((c, i) => record.run(id, c.component.id, c.component.name, c.old, c.new, i));
  // The subscribers' messages are queued in the same transaction as the update: both commit, or neither.
  if (update.deliver_notifications) {
    enqueueIncidentUpdate(ctx.db, { id, incidentId }, mailHost(ctx.config.publicUrl), ctx.clock.now());
    const kind = ctx.db.prepare('SELECT kind FROM incidents WHERE id = ?').pluck().get(incidentId) === 'maintenance' ? 'maintenance' : 'incident';
    enqueueEndpointsForIncident(ctx.db, { source: `update:${id}`, kind: 'incident_update', subjectId: id, incidentId, incidentKind: kind }, ctx.clock.now());
  }
}

/**
 * The impact: the operator's override, else the worst component status this incident ever set (and
 * at least its floor: an admin-form incident affecting no component is minor, not none).
 */
export function refreshImpact(db: Db, incidentId: string): void {
  const row = db.prepare('SELECT impact_override, impact_floor, kind FROM incidents WHERE id = ?').get(incidentId) as
    { impact_override: string | null; impact_floor: Impact | null; kind: string } | undefined;
  if (row?.kind === 'maintenance') {
    db.prepare("UPDATE incidents SET impact = 'maintenance' WHERE id = ?").run(incidentId);
    return;
  }
  const override = row?.impact_override ?? null;
  // Every status an update set, and, while the incident is open, its components' current statuses.
  const statuses = db
    .prepare(
      `SELECT c.new_status FROM incident_update_components c JOIN incident_updates u ON u.id = c.update_id
       WHERE u.incident_id = @id
       UNION ALL
       SELECT c.status FROM incident_components ic JOIN components c ON c.id = ic.component_id
       JOIN incidents i ON i.id = ic.incident_id WHERE ic.incident_id = @id AND i.resolved_at IS NULL`,
    )
    .pluck()
    .all({ id: incidentId }) as ComponentStatus[];
  const derived = impactFromComponentStatuses(statuses);
  const floor = row?.impact_floor ?? 'none';
  const rank = (impact: Impact) => (IMPACTS as readonly string[]).indexOf(impact);
  db.prepare('UPDATE incidents SET impact = ? WHERE id = ?').run(override ?? (rank(floor) > rank(derived) ? floor : derived), incidentId);
}

/**
 * `impactFloor`: the least impact derived while no affected component is down (the admin form's
 * 'minor'); the API leaves it out and keeps Statuspage's rule (none). `alongside`: what the caller
 * writes in the same transaction (an alert group's row: both commit, or neither).
 */
export function createIncident(
  ctx: Deps<'bus' | 'clock' | 'config' | 'db'>,
  actor: Actor,
  given: NewIncident,
  opts: { impactFloor?: Exclude<Impact, 'none' | 'maintenance'>; alongside?: (incident: Incident) => void } = {},
): Incident {
  const input = parseInput(newIncidentInput, given);
  return commitChange(ctx, { cause: 'incident.created', actor }, () => {
    checkComponents(ctx.db, Object.keys(input.components), (id) => `components.${id}`);
    checkComponents(ctx.db, input.component_ids, () => `component_ids`);
    const now = ctx.clock.now().toISOString();
    const id = newId();
    ctx.db
      .prepare(
        `INSERT INTO incidents (id, name, status, impact, impact_override, impact_floor, started_at, monitoring_at, resolved_at, created_at, updated_at)
         VALUES (?, ?, ?, 'none', ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        input.name,
        input.status,
        input.impact_override ?? null,
        opts.impactFloor ?? null,
        input.started_at ?? now,
        input.status === 'monitoring' ? now : null,
        isResolved(input.status) ? now : null,
        now,
        now,
      );
    const link = ctx.db.prepare('INSERT OR IGNORE INTO incident_components (incident_id, component_id) VALUES (?, ?)');
    for (const componentId of input.component_ids) link.run(id, componentId);
    addUpdate(ctx, actor, id, {
      status: input.status,
      body: input.body,
      deliver_notifications: input.deliver_notifications,
      changes: new Map(Object.entries(input.components)),
    });
    refreshImpact(ctx.db, id);
    const incident = getIncident(ctx.db, id);
    opts.alongside?.(incident);
    return { result: incident, ids: [id] };
  });
}

export function patchIncident(
  ctx: Deps<'bus' | 'clock' | 'config' | 'db'>,
  actor: Actor,
  id: string,
  given: IncidentPatch,
  alongside?: (incident: Incident) => void,
): Incident {
  const input = parseInput(incidentPatchInput, given);
  getIncident(ctx.db, id);
  return commitChange(ctx, { cause: 'incident.updated', actor, subject: () => getIncident(ctx.db, id) }, () => {
    // Read inside the write transaction: what this change builds on cannot move under it.
    const before = getIncident(ctx.db, id);
    const now = ctx.clock.now().toISOString();
    if (input.name !== undefined || input.impact_override !== undefined || input.started_at !== undefined) {
      ctx.db
        .prepare('UPDATE incidents SET name = ?, impact_override = ?, started_at = ? WHERE id = ?')
        .run(
          input.name ?? before.name,
          input.impact_override === undefined ? before.impact_override : input.impact_override,
          input.started_at ?? before.started_at,
          id,
        );
    }
    const explicit = input.components ?? {};
    checkComponents(ctx.db, Object.keys(explicit), (c) => `components.${c}`);
    checkComponents(ctx.db, input.component_ids ?? [], () => `component_ids`);
    const link = ctx.db.prepare('INSERT OR IGNORE INTO incident_components (incident_id, component_id) VALUES (?, ?)');
    for (const componentId of input.component_ids ?? []) link.run(id, componentId);
    // A status or a message makes an update; component statuses alone change the components (and are
    // linked to the incident) without adding to its timeline, as Statuspage's API does.
    if (input.status === undefined && input.body === undefined && input.components !== undefined) {
      for (const componentId of Object.keys(explicit)) link.run(id, componentId);
      setStatuses(ctx.db, new Map(Object.entries(explicit)), now);
    }
    if (input.status !== undefined || input.body !== undefined) {
      const status = input.status ?? before.status;
      const changes = new Map<string, ComponentStatus>(Object.entries(explicit));
      if (isResolved(status) && !isResolved(before.status)) {
        // On resolve, affected components return to operational unless told otherwise or held by another
        // incident; inside a maintenance window still running they return to under maintenance.
        const held = holders(ctx.db, id);
        for (const componentId of affectedIds(ctx.db, id)) {
          if (changes.has(componentId) || held.incidents.has(componentId)) continue;
          const current = findComponent(ctx.db, componentId);
          if (!current) continue;
          // Inside a running window: under maintenance; otherwise operational (even if left under maintenance).
          if (held.maintenance.has(componentId)) changes.set(componentId, 'under_maintenance');
          else changes.set(componentId, 'operational');
        }
      }
      addUpdate(ctx, actor, id, { status, body: input.body ?? '', deliver_notifications: input.deliver_notifications, changes });
      ctx.db
        .prepare(
          `UPDATE incidents SET status = ?,
             monitoring_at = CASE WHEN ? = 'monitoring' AND monitoring_at IS NULL THEN ? ELSE monitoring_at END,
             resolved_at = CASE WHEN ? THEN COALESCE(resolved_at, ?) ELSE NULL END
           WHERE id = ?`,
        )
        .run(status, status, now, isResolved(status) ? 1 : 0, now, id);
    }
    ctx.db.prepare('UPDATE incidents SET updated_at = ? WHERE id = ?').run(now, id);
    refreshImpact(ctx.db, id);
    const incident = getIncident(ctx.db, id);
    alongside?.(incident);
    return { result: incident, ids: [id] };
  });
}

export function deleteIncident(ctx: Deps<'bus' | 'clock' | 'db'>, actor: Actor, id: string): void {
  const incident = getIncident(ctx.db, id);
  if (incident.kind === 'maintenance' && (incident.status === 'in_progress' || incident.status === 'verifying')) {
    // Deleting would leave its components under maintenance with nothing to end it.
    throw new Invalid({ form: 'This maintenance is in progress: complete or cancel it before deleting it' });
  }
  commitChange(ctx, { cause: 'incident.deleted', actor, subject: () => getIncident(ctx.db, id) }, () => {
    ctx.db.prepare('DELETE FROM incidents WHERE id = ?').run(id);
    return { result: undefined, ids: [id] };
  });
}

function updateOf(incident: Incident, updateId: string) {
  const update = incident.incident_updates.find((u) => u.id === updateId);
  if (!update) throw new Invalid({ update: 'No such update on this incident' });
  return update;
}

export function editUpdate(ctx: Deps<'bus' | 'clock' | 'db'>, actor: Actor, incidentId: string, updateId: string, given: UpdateEdit): Incident {
  const input = parseInput(updateEditInput, given);
  const incident = getIncident(ctx.db, incidentId);
  const update = updateOf(incident, updateId);
  return commitChange(ctx, { cause: 'incident.update_edited', actor, subject: () => getIncident(ctx.db, incidentId) }, () => {
    const now = ctx.clock.now().toISOString();
    const body = input.body === undefined ? update.body : input.body || DEFAULT_UPDATE_BODIES[update.status];
    const edit = ctx.db.prepare('UPDATE incident_updates SET body = ?, display_at = ?, deliver_notifications = ?, updated_at = ? WHERE id = ?');
    edit.run(body, input.display_at ?? update.display_at, (input.deliver_notifications ?? update.deliver_notifications) ? 1 : 0, now, updateId);
    ctx.db.prepare('UPDATE incidents SET updated_at = ? WHERE id = ?').run(now, incidentId);
    return { result: getIncident(ctx.db, incidentId), ids: [incidentId, updateId] };
  });
}

/** Deletes one update; the incident takes the status of its newest remaining update. */
export function deleteUpdate(ctx: Deps<'bus' | 'clock' | 'db'>, actor: Actor, incidentId: string, updateId: string): Incident {
  const incident = getIncident(ctx.db, incidentId);
  updateOf(incident, updateId);
  if (incident.incident_updates.length === 1) {
    throw new Invalid({ form: 'An incident keeps at least one update; delete the incident instead' });
  }
  // A maintenance window's status follows its window and transitions, not its newest remaining message.
  const followNewest = incident.kind === 'incident';
  return commitChange(ctx, { cause: 'incident.update_deleted', actor, subject: () => getIncident(ctx.db, incidentId) }, () => {
    ctx.db.prepare('DELETE FROM incident_updates WHERE id = ?').run(updateId);
    const newest = getIncident(ctx.db, incidentId).incident_updates[0];
    if (newest && followNewest) {
      ctx.db
        .prepare(
          `UPDATE incidents SET status = ?, updated_at = ?,
             resolved_at = CASE WHEN ? THEN COALESCE(resolved_at, ?) ELSE NULL END WHERE id = ?`,
        )
        .run(newest.status, ctx.clock.now().toISOString(), isResolved(newest.status) ? 1 : 0, newest.created_at, incidentId);
    }
    refreshImpact(ctx.db, incidentId);
    return { result: getIncident(ctx.db, incidentId), ids: [incidentId, updateId] };
  });
}
