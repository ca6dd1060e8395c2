import { z } from 'zod';
import type { Deps } from '../../context.js';
import type { Db } from '../../db/open.js';
import { NotFound, Invalid } from '../../errors.js';
import type { Actor } from '../access/actors.js';
import { commitChange } from '../write-path.js';
import { newId } from '../../lib/ids.js';
import { dayKey } from '../../lib/time.js';
import { COMPONENT_STATUSES, type ComponentStatus } from './status.js';
import { enumOf, flag, sideText, nameText, parseInput } from '../../lib/validate.js';
import { pageZone } from './time-zone.js';
import { enqueueComponentUpdate } from '../subscribers/endpoint-deliveries.js';

export interface Component {
  id: string;
  group_id: string | null;
  name: string;
  description: string;
  status: ComponentStatus;
  position: number;
  showcase: boolean;
  only_show_if_degraded: boolean;
  start_date: string | null;
  created_at: string;
  updated_at: string;
}

export interface ComponentRow extends Omit<Component, 'showcase' | 'only_show_if_degraded'> {
  showcase: number;
  only_show_if_degraded: number;
}

export const componentFromRow = (r: ComponentRow): Component => ({
  ...r,
  showcase: r.showcase === 1,
  only_show_if_degraded: r.only_show_if_degraded === 1,
});

export const componentStatus = enumOf(COMPONENT_STATUSES, 'Status');

export const componentInput = z.object({
  name: nameText(100),
  description: sideText(500).default(''),
  status: componentStatus.default('operational'),
  group_id: z
    .string({ invalid_type_error: 'Must be a group id' })
    .nullish()
    .transform((v) => (v ? v : null)),
  showcase: flag.default(true),
  only_show_if_degraded: flag.default(false),
});
export type ComponentInput = z.input<typeof componentInput>;

export const componentPatch = componentInput.partial();
export type ComponentPatch = z.input<typeof componentPatch>;

export function listComponents(db: Db): Component[] {
  return (db.prepare('SELECT * FROM components ORDER BY position, created_at').all() as ComponentRow[]).map(componentFromRow);
}

export function findComponent(db: Db, id: string): Component | undefined {
  const row = db.prepare('SELECT * FROM components WHERE id = ?').get(id) as ComponentRow | undefined;
  return row && componentFromRow(row);
}

export function getComponent(db: Db, id: string): Component {
  const c = findComponent(db, id);
  if (!c) throw new NotFound('No such component');
  return c;
}

function checkGroup(db: Db, groupId: string | null, field = 'group_id'): void {
  if (groupId && !db.prepare('SELECT 1 FROM component_groups WHERE id = ?').get(groupId)) {
    throw new Invalid({ [field]: 'No such group' });
  }
}

/** Top-level items (groups and ungrouped components) share one order; grouped components are ordered within their group. */
export function nextPosition(db: Db, groupId: string | null): number {
  const sql = groupId
    ? 'SELECT COALESCE(MAX(position), 0) FROM components WHERE group_id = ?'
    : `SELECT MAX(COALESCE((SELECT MAX(position) FROM components WHERE group_id IS NULL), 0),
                  COALESCE((SELECT MAX(position) FROM component_groups), 0))`;
  const max = (groupId ? db.prepare(sql).pluck().get(groupId) : db.prepare(sql).pluck().get()) as number;
  return max + 1;
}

export function createComponent(ctx: Deps<'bus' | 'clock' | 'config' | 'db'>, actor: Actor, given: ComponentInput): Component {
  const input = parseInput(componentInput, given);
  return commitChange(ctx, { cause: 'component.created', actor }, () => {
    checkGroup(ctx.db, input.group_id, 'group_id');
    const now = ctx.clock.now().toISOString();
    const id = newId();
    ctx.db
      .prepare(
        `INSERT INTO components (id, group_id, name, description, status, position, showcase, only_show_if_degraded,
           start_date, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        input.group_id,
        input.name,
        input.description,
        input.status,
        nextPosition(ctx.db, input.group_id),
        input.showcase ? 1 : 0,
        input.only_show_if_degraded ? 1 : 0,
        // Its first day on the uptime bars: a calendar day in the page's zone.
        dayKey(now, pageZone(ctx)),
        now,
        now,
      );
    logStatus(ctx.db, id, input.status, now);
    return { result: getComponent(ctx.db, id), ids: [id] };
  });
}

export function updateComponent(ctx: Deps<'bus' | 'clock' | 'db'>, actor: Actor, id: string, given: ComponentPatch): Component {
  const patch = parseInput(componentPatch, given);
  const before = getComponent(ctx.db, id);
  return commitChange(ctx, { cause: 'component.updated', actor, subject: () => getComponent(ctx.db, id) }, () => {
    const next = { ...before, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) };
    if (patch.group_id !== undefined) checkGroup(ctx.db, next.group_id, 'group_id');
    const position = next.group_id === before.group_id ? before.position : nextPosition(ctx.db, next.group_id);
    ctx.db
      .prepare(
        `UPDATE components SET group_id = ?, name = ?, description = ?, status = ?, position = ?, showcase = ?,
           only_show_if_degraded = ?, updated_at = ? WHERE id = ?`,
      )
      .run(
        next.group_id,
        next.name,
        next.description,
        next.status,
        position,
        next.showcase ? 1 : 0,
        next.only_show_if_degraded ? 1 : 0,
        ctx.clock.now().toISOString(),
        id,
      );
    if (next.status !== before.status) logStatus(ctx.db, id, next.status, ctx.clock.now().toISOString());
    return { result: getComponent(ctx.db, id), ids: [id] };
  });
}

export function deleteComponent(ctx: Deps<'bus' | 'clock' | 'db'>, actor: Actor, id: string): void {
  getComponent(ctx.db, id);
  commitChange(ctx, { cause: 'component.deleted', actor, subject: () => getComponent(ctx.db, id) }, () => {
    ctx.db.prepare('DELETE FROM components WHERE id = ?').run(id);
    return { result: undefined, ids: [id] };
  });
}

/**
 * Records a component's new status in its history (for uptime): closes the open interval, opens one.
 * A change from an earlier status is also a component_update for every webhook following the
 * component, queued in the same transaction, whatever way it came (an incident, a window, an edit) and
 * even when subscribers are not notified: a webhook's receiver keeps the component's state.
 */
export function logStatus(db: Db, componentId: string, status: ComponentStatus, at: string): void {
  const open = db.prepare('SELECT status FROM component_status_log WHERE component_id = ? AND ended_at IS NULL').pluck().get(componentId);
  db.prepare('UPDATE component_status_log SET ended_at = ? WHERE component_id = ? AND ended_at IS NULL').run(at, componentId);
  const logId = Number(
    db.prepare('INSERT INTO component_status_log (component_id, status, started_at) VALUES (?, ?, ?)').run(componentId, status, at).lastInsertRowid,
  );
  if (open !== undefined && open !== status) enqueueComponentUpdate(db, { logId, componentId }, new Date(at));
}

/** Sets several component statuses inside a caller's transaction; returns the ones that changed. */
export function setStatuses(
  db: Db,
  changes: Map<string, ComponentStatus>,
  now: string,
): { component: Component; old: ComponentStatus; new: ComponentStatus }[] {
  const changed = [];
  const update = db.prepare('UPDATE components SET status = ?, updated_at = ? WHERE id = ?');
  for (const [id, status] of changes) {
    const component = getComponent(db, id);
    if (component.status === status) continue;
    update.run(status, now, id);
    logStatus(db, id, status, now);
    changed.push({ component, old: component.status, new: status });
  }
  return changed;
}

/** One status change of a component (its status log row), with the status before it: a webhook's component_update. */
export function statusChange(db: Db, logId: number): { componentId: string; status: ComponentStatus; at: string; old: ComponentStatus } | undefined {
  const row = db.prepare('SELECT component_id, status, started_at FROM component_status_log WHERE id = ?').get(logId) as
    { component_id: string; status: ComponentStatus; started_at: string } | undefined;
  if (!row) return undefined;
  const old = db
    .prepare('SELECT status FROM component_status_log WHERE component_id = ? AND id < ? ORDER BY id DESC LIMIT 1')
    .pluck()
    .get(row.component_id, logId) as ComponentStatus | undefined;
  return { componentId: row.component_id, status: row.status, at: row.started_at, old: old ?? 'operational' };
}
