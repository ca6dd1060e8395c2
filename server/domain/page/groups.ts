import { z } from 'zod';
import type { Deps } from '../../context.js';
import type { Db } from '../../db/open.js';
import { Invalid, NotFound } from '../../errors.js';
import type { Actor } from '../access/actors.js';
import { commitChange } from '../write-path.js';
import { findComponent, nextPosition } from './components.js';
import { newId } from '../../lib/ids.js';
import { sideText, nameText, parseInput } from '../../lib/validate.js';

export interface ComponentGroup {
  id: string;
  name: string;
  description: string;
  position: number;
  created_at: string;
  updated_at: string;
}

export const groupInput = z.object({ name: nameText(100), description: sideText(500).default('') });
export type GroupInput = z.input<typeof groupInput>;

export function listGroups(db: Db): ComponentGroup[] {
  return db.prepare('SELECT * FROM component_groups ORDER BY position, created_at').all() as ComponentGroup[];
}

export function getGroup(db: Db, id: string): ComponentGroup {
  const g = db.prepare('SELECT * FROM component_groups WHERE id = ?').get(id) as ComponentGroup | undefined;
  if (!g) throw new NotFound('No such group');
  return g;
}

/** A new group, last on the page. */
function insertGroup(db: Db, id: string, g: { name: string; description: string }, now: string): void {
  db.prepare('INSERT INTO component_groups (id, name, description, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)').run(
    id,
    g.name,
    g.description,
    nextPosition(db, null),
    now,
    now,
  );
}

export function createGroup(ctx: Deps<'bus' | 'clock' | 'db'>, actor: Actor, given: GroupInput): ComponentGroup {
  const input = parseInput(groupInput, given);
  return commitChange(ctx, { cause: 'group.created', actor }, () => {
    const now = ctx.clock.now().toISOString();
    const id = newId();
    insertGroup(ctx.db, id, input, now);
    return { result: getGroup(ctx.db, id), ids: [id] };
  });
}

export function updateGroup(ctx: Deps<'bus' | 'clock' | 'db'>, actor: Actor, id: string, given: GroupInput): ComponentGroup {
  const input = parseInput(groupInput, given);
  getGroup(ctx.db, id);
  return commitChange(ctx, { cause: 'group.updated', actor, subject: () => getGroup(ctx.db, id) }, () => {
    ctx.db
      .prepare('UPDATE component_groups SET name = ?, description = ?, updated_at = ? WHERE id = ?')
      .run(input.name, input.description, ctx.clock.now().toISOString(), id);
    return { result: getGroup(ctx.db, id), ids: [id] };
  });
}

/** Deleting a group keeps its components, placed after the top-level items. */
export function deleteGroup(ctx: Deps<'bus' | 'clock' | 'db'>, actor: Actor, id: string): void {
  getGroup(ctx.db, id);
  commitChange(ctx, { cause: 'group.deleted', actor, subject: () => getGroup(ctx.db, id) }, () => {
    const members = ctx.db.prepare('SELECT id FROM components WHERE group_id = ? ORDER BY position').pluck().all(id) as string[];
    ctx.db.prepare('DELETE FROM component_groups WHERE id = ?').run(id);
    const move = ctx.db.prepare('UPDATE components SET group_id = NULL, position = ? WHERE id = ?');
    for (const member of members) move.run(nextPosition(ctx.db, null), member);
    return { result: undefined, ids: [id, ...members] };
  });
}

/** Statuspage's component group: a name, a description and the components it holds, in their order. */
export const groupWithComponentsInput = z.object({
  name: nameText(100),
  description: sideText(500).default(''),
  components: z
    .array(z.string({ invalid_type_error: 'Must be component ids' }).regex(/^[a-z0-9]{1,64}$/, 'No such component'), {
      invalid_type_error: 'Must be a list of component ids',
    })
    .max(500, 'At most 500 components')
    .optional(),
});
export type GroupWithComponents = z.input<typeof groupWithComponentsInput>;

/** The ids of a group's components, in their order. */
export function groupComponentIds(db: Db, id: string): string[] {
  return db.prepare('SELECT id FROM components WHERE group_id = ? ORDER BY position, created_at').pluck().all(id) as string[];
}

/**
 * Makes `ids` the group's components, in that order: components named join it (from wherever they
 * were), its other components leave it for the end of the page's top level, as a component moved out
 * of a group in its own edit does. Inside the caller's transaction.
 */
function placeMembers(db: Db, groupId: string, ids: string[], now: string): string[] {
  const wanted = [...new Set(ids)];
  const missing = wanted.filter((id) => !findComponent(db, id));
  if (missing.length) throw new Invalid({ components: `No such component: ${missing.slice(0, 5).join(', ')}` });
  const move = db.prepare('UPDATE components SET group_id = ?, position = ?, updated_at = ? WHERE id = ?');
  const leaving = groupComponentIds(db, groupId).filter((id) => !wanted.includes(id));
  for (const id of leaving) move.run(null, nextPosition(db, null), now, id);
  wanted.forEach((id, i) => {
    const c = findComponent(db, id);
    if (c && (c.group_id !== groupId || c.position !== i + 1)) move.run(groupId, i + 1, now, id);
  });
  return [...leaving, ...wanted];
}

const withMembers = (db: Db, id: string) => ({ ...getGroup(db, id), components: groupComponentIds(db, id) });

/** Creates a group holding `components` (the management API's component-groups), in one change. */
export function createGroupWith(ctx: Deps<'bus' | 'clock' | 'db'>, actor: Actor, given: GroupWithComponents): ComponentGroup {
  const input = parseInput(groupWithComponentsInput, given);
  return commitChange(ctx, { cause: 'group.created', actor }, () => {
    const now = ctx.clock.now().toISOString();
    const id = newId();
    insertGroup(ctx.db, id, input, now);
    const moved = placeMembers(ctx.db, id, input.components ?? [], now);
    return { result: getGroup(ctx.db, id), ids: [id, ...moved] };
  });
}

/** Edits a group: what `given` names changes (its name, description, components), the rest stays. */
export function updateGroupWith(ctx: Deps<'bus' | 'clock' | 'db'>, actor: Actor, id: string, given: Partial<GroupWithComponents>): ComponentGroup {
  const before = getGroup(ctx.db, id);
  const named = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  const input = parseInput(groupWithComponentsInput, { name: before.name, description: before.description, ...named });
  return commitChange(ctx, { cause: 'group.updated', actor, subject: () => withMembers(ctx.db, id) }, () => {
    const now = ctx.clock.now().toISOString();
    ctx.db.prepare('UPDATE component_groups SET name = ?, description = ?, updated_at = ? WHERE id = ?').run(input.name, input.description, now, id);
    const moved = input.components ? placeMembers(ctx.db, id, input.components, now) : [];
    return { result: getGroup(ctx.db, id), ids: [id, ...moved] };
  });
}
