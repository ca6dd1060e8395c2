import { z } from 'zod';
import type { Deps } from '../../context.js';
import type { Db } from '../../db/open.js';
import { NotFound } from '../../errors.js';
import type { Actor } from '../access/actors.js';
import { commitChange } from '../write-path.js';
import { nextPosition } from './components.js';
import { newId } from '../../lib/ids.js';
import { longText, nameText, parseInput } from '../../lib/validate.js';

export interface ComponentGroup {
  id: string;
  name: string;
  description: string;
  position: number;
  created_at: string;
  updated_at: string;
}

export const groupInput = z.object({ name: nameText(100), description: longText(500).default('') });
export type GroupInput = z.input<typeof groupInput>;

export function listGroups(db: Db): ComponentGroup[] {
  return db.prepare('SELECT * FROM component_groups ORDER BY position, created_at').all() as ComponentGroup[];
}

export function getGroup(db: Db, id: string): ComponentGroup {
  const g = db.prepare('SELECT * FROM component_groups WHERE id = ?').get(id) as ComponentGroup | undefined;
  if (!g) throw new NotFound('No such group');
  return g;
}

export function createGroup(ctx: Deps<'bus' | 'clock' | 'db'>, actor: Actor, given: GroupInput): ComponentGroup {
  const input = parseInput(groupInput, given);
  return commitChange(ctx, { cause: 'group.created', actor }, () => {
    const now = ctx.clock.now().toISOString();
    const id = newId();
    ctx.db
      .prepare('INSERT INTO component_groups (id, name, description, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, input.name, input.description, nextPosition(ctx.db, null), now, now);
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
