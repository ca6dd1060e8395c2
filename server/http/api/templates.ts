import { Router, type Request, type Response } from 'express';
import type { z } from 'zod';
import type { Context } from '../../context.js';
import type { Actor } from '../../domain/access/actors.js';
import { createTemplate, listTemplates, templateInput, type IncidentTemplate } from '../../domain/incidents/templates.js';
import { pageLayout } from '../../domain/page/order.js';
import { Invalid } from '../../errors.js';
import { parseInput } from '../../lib/validate.js';
import { componentsShape } from '../../snapshot/shapes.js';
import { queryInt } from '../respond.js';

/**
 * Statuspage's v1 incident template: `components` are the components it lists as affected, in v1 shape;
 * `should_tweet` is always false (Pharos does not tweet); `group_id` is a component group.
 */
export function templateShape(ctx: Context, t: IncidentTemplate, components = componentsShape(pageLayout(ctx.db), ctx.pageId)) {
  const byId = new Map(components.map((c) => [c.id, c]));
  return {
    id: t.id,
    components: t.component_ids.flatMap((id) => byId.get(id) ?? []),
    name: t.name,
    title: t.title,
    body: t.body,
    group_id: t.group_id,
    update_status: t.update_status,
    should_tweet: false,
    should_send_notifications: t.should_send_notifications,
    created_at: t.created_at,
    updated_at: t.updated_at,
  };
}

/**
 * The v1 incident templates endpoints (`/api/v1/pages/:page_id/incident_templates`), mounted on the v1
 * page router behind its API key: list (`page`, `per_page`) and create from `{"template": {name, title,
 * body, group_id, update_status, should_send_notifications, component_ids}}` (`should_tweet` is accepted
 * and ignored). Field errors name the field inside the envelope ("template.name").
 */
export function templateApi(
  ctx: Context,
  /** The v1 router's: the object under `key`; given the schema, a form's text typed as it expects. */
  envelope: (req: Request, key: string, schema?: z.ZodTypeAny) => Record<string, unknown>,
  actor: (res: Response) => Actor,
): Router {
  const router = Router();
  router.get('/incident_templates', (req, res) => {
    const perPage = queryInt(req.query.per_page, 100, 1, 100);
    const offset = (queryInt(req.query.page, 1, 1, 100_000) - 1) * perPage;
    const components = componentsShape(pageLayout(ctx.db), ctx.pageId);
    res.json(listTemplates(ctx.db, perPage, offset).map((t) => templateShape(ctx, t, components)));
  });
  router.post('/incident_templates', (req, res) => {
    const body = envelope(req, 'template', templateInput);
    const who = actor(res);
    let created: IncidentTemplate;
    try {
      created = createTemplate(ctx, who, parseInput(templateInput, body));
    } catch (err) {
      throw err instanceof Invalid ? err.within('template.') : err;
    }
    res.status(201).json(templateShape(ctx, created));
  });
  return router;
}
