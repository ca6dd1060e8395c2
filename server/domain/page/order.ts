import type { Deps } from '../../context.js';
import type { Db } from '../../db/open.js';
import type { Actor } from '../access/actors.js';
import { commitChange } from '../write-path.js';
import { listGroups, type ComponentGroup } from './groups.js';
import { getComponent, listComponents, type Component } from './components.js';
import { NotFound } from '../../errors.js';

export type LayoutItem = { kind: 'group'; group: ComponentGroup; components: Component[] } | { kind: 'component'; component: Component };

/** Groups and ungrouped components in page order, each group with its components in order. */
export function buildLayout(groups: ComponentGroup[], components: Component[]): LayoutItem[] {
  const items: (LayoutItem & { position: number })[] = [];
  for (const group of groups) {
    items.push({ kind: 'group', group, position: group.position, components: components.filter((c) => c.group_id === group.id) });
  }
  for (const component of components) {
    if (component.group_id === null) items.push({ kind: 'component', component, position: component.position });
  }
  return items.sort((a, b) => a.position - b.position).map(({ position: _position, ...item }) => item);
}

export function pageLayout(db: Db): LayoutItem[] {
  return buildLayout(listGroups(db), listComponents(db));
}

/** Components in page order, flattened (the order the API lists them in). */
export function orderedComponents(layout: LayoutItem[]): Component[] {
  return layout.flatMap((item) => (item.kind === 'group' ? item.components : [item.component]));
}

/** Moves a component or a group one place up or down among its siblings. */
export function move(ctx: Deps<'bus' | 'clock' | 'db'>, actor: Actor, kind: 'component' | 'group', id: string, direction: 'up' | 'down'): void {
  commitChange(ctx, { cause: `${kind}.moved`, actor }, () => {
    const siblings = siblingsOf(ctx.db, kind, id);
    const index = siblings.findIndex((s) => s.id === id);
    const other = direction === 'up' ? index - 1 : index + 1;
    if (index >= 0 && other >= 0 && other < siblings.length) {
      const a = siblings[index];
      const b = siblings[other];
      if (a && b) [siblings[index], siblings[other]] = [b, a];
    }
    // Renumber every sibling so that ties from older data cannot make a move a no-op.
    const setGroup = ctx.db.prepare('UPDATE component_groups SET position = ? WHERE id = ?');
    const setComponent = ctx.db.prepare('UPDATE components SET position = ? WHERE id = ?');
    siblings.forEach((s, i) => (s.kind === 'group' ? setGroup : setComponent).run(i + 1, s.id));
    return { result: undefined, ids: [id] };
  });
}

function siblingsOf(db: Db, kind: 'component' | 'group', id: string): { kind: 'component' | 'group'; id: string }[] {
  const layout = pageLayout(db);
  if (kind === 'component') {
    const component = getComponent(db, id);
    if (component.group_id) {
      const group = layout.find((i) => i.kind === 'group' && i.group.id === component.group_id);
      return group && group.kind === 'group' ? group.components.map((c) => ({ kind: 'component', id: c.id })) : [];
    }
  } else if (!layout.some((i) => i.kind === 'group' && i.group.id === id)) {
    throw new NotFound('No such group');
  }
  return layout.map((i) => (i.kind === 'group' ? { kind: 'group', id: i.group.id } : { kind: 'component', id: i.component.id }));
}
