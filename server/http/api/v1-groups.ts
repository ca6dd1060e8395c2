import { Router, type Request, type Response } from 'express';
import type { Context } from '../../context.js';
import { pageLayout } from '../../domain/page/order.js';
import {
  createGroupWith,
  deleteGroup,
  getGroup,
  groupComponentIds,
  groupWithComponentsInput,
  listGroups,
  updateGroupWith,
  type ComponentGroup,
  type GroupWithComponents,
} from '../../domain/page/groups.js';
import { parseInput } from '../../lib/validate.js';
import { pagePositions } from '../../snapshot/shapes.js';
import { actor, envelope, inEnvelope, topLevel } from './v1-common.js';

/** Statuspage's v1 component group: its components as ids, its position in page order (as the components list numbers it). */
function groupShape(ctx: Context, g: ComponentGroup, positions = pagePositions(pageLayout(ctx.db))) {
  return {
    id: g.id,
    page_id: ctx.pageId,
    name: g.name,
    description: g.description || null,
    components: groupComponentIds(ctx.db, g.id),
    position: positions.get(g.id) ?? 0,
    created_at: g.created_at,
    updated_at: g.updated_at,
  };
}

/** Statuspage puts a group's description beside the envelope; inside it is taken too. */
const topDescription = groupWithComponentsInput.pick({ description: true });

/**
 * What a body says of a group: `{"component_group": {"name", "components": [ids]}, "description"}`, only
 * what is sent, checked (errors inside the envelope are named `component_group.name`, a bad top-level
 * description `description`).
 */
function groupFields(req: Request): Partial<GroupWithComponents> {
  const inner = envelope(req, 'component_group', groupWithComponentsInput);
  const outer = topLevel(req, 'description');
  const description =
    inner.description === undefined && outer !== undefined && outer !== null ? parseInput(topDescription, { description: outer }).description : undefined;
  const given = Object.fromEntries(Object.entries(inner).filter(([k]) => k === 'name' || k === 'description' || k === 'components'));
  const parsed = inEnvelope('component_group', () => parseInput(groupWithComponentsInput.partial(), given));
  return { ...parsed, ...(description !== undefined ? { description } : {}) };
}

/** The v1 component groups (`/api/v1/pages/:page_id/component-groups`): list, create, read, edit, delete (its components stay, ungrouped). */
export function groupApi(ctx: Context): Router {
  const router = Router();
  router.get('/component-groups', (_req, res) => {
    const positions = pagePositions(pageLayout(ctx.db));
    res.json(listGroups(ctx.db).map((g) => groupShape(ctx, g, positions)));
  });
  router.post('/component-groups', (req, res) => {
    const fields = groupFields(req);
    const created = inEnvelope('component_group', () => createGroupWith(ctx, actor(res), { name: '', ...fields }));
    res.status(201).json(groupShape(ctx, created));
  });
  router.get('/component-groups/:id', (req, res) => {
    res.json(groupShape(ctx, getGroup(ctx.db, String(req.params.id))));
  });
  const edit = (req: Request, res: Response) => {
    const id = String(req.params.id);
    getGroup(ctx.db, id);
    const fields = groupFields(req);
    const updated = inEnvelope('component_group', () => updateGroupWith(ctx, actor(res), id, fields));
    res.json(groupShape(ctx, updated));
  };
  router.patch('/component-groups/:id', edit);
  router.put('/component-groups/:id', edit);
  router.delete('/component-groups/:id', (req, res) => {
    const id = String(req.params.id);
    const shape = groupShape(ctx, getGroup(ctx.db, id));
    deleteGroup(ctx, actor(res), id);
    res.json(shape);
  });
  return router;
}
