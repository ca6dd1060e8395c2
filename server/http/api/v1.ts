import { Router, type Request, type RequestHandler, type Response } from 'express';
import { bracketFormParser, jsonParser } from '../middleware/body.js';
import type { Context } from '../../context.js';
import { pageLayout } from '../../domain/page/order.js';
import { componentInput, componentPatch, createComponent, deleteComponent, getComponent, updateComponent } from '../../domain/page/components.js';
import { createIncident, deleteIncident } from '../../domain/incidents/writes.js';
import { getIncident } from '../../domain/incidents/queries.js';
import { scheduleMaintenance } from '../../domain/incidents/maintenance.js';
import { maintenanceInput, newIncidentInput, updateInput } from '../../domain/incidents/schemas.js';
import { postUpdate } from '../../domain/incidents/updates.js';
import { parseInput } from '../../lib/validate.js';
import { componentsShape } from '../../snapshot/shapes.js';
import { requireApiKey } from '../middleware/auth.js';
import { subscriberApi } from './subscribers.js';
import { templateApi } from './templates.js';
import { uptimeApi } from './uptime.js';
import { actor, envelope, inEnvelope, v1Incidents } from './v1-common.js';
import { groupApi } from './v1-groups.js';
import { incidentListApi } from './v1-lists.js';
import { pageApi, pageShape } from './v1-pages.js';
import { incidentUpdateApi } from './v1-updates.js';
import { postmortemApi } from './v1-postmortem.js';

const BODY_LIMIT = 1024 * 1024;

/**
 * Every v1 path also answers with Statuspage's `.json` suffix (`/incidents.json`, `/incidents/ID.json`):
 * the suffix is dropped before routing, in this one place. Logs and the audit log show the path as sent.
 */
const withoutJsonSuffix: RequestHandler = (req, _res, next) => {
  const q = req.url.indexOf('?');
  const path = q === -1 ? req.url : req.url.slice(0, q);
  if (path.endsWith('.json')) req.url = path.slice(0, -'.json'.length) + (q === -1 ? '' : req.url.slice(q));
  next();
};

/** Management API in Statuspage's v1 shapes, for automation. */
export function v1Routes(ctx: Context): Router {
  const page = Router({ mergeParams: true });
  // The key is checked on the headers (or the query) before the body is read: a client without one
  // cannot make the server read and parse a megabyte. Bodies come as JSON or as Rails-style forms
  // (`incident[name]=X`, as Statuspage's own curl examples send them), both into the same envelope.
  page.use(requireApiKey(ctx), jsonParser(BODY_LIMIT), bracketFormParser(BODY_LIMIT, 1000, 5));
  const shapes = v1Incidents(ctx);
  const incident = (id: string) => shapes([getIncident(ctx.db, id)])[0];

  page.use(pageApi(ctx));
  // Before /incidents/:incident_id: /incidents/unresolved and the other lists are not ids.
  page.use(incidentListApi(ctx));
  page.post('/incidents', (req, res) => {
    const raw = envelope(req, 'incident');
    // As on Statuspage, an incident with a window is scheduled maintenance.
    const scheduled = (raw.scheduled_for ?? null) !== null || (raw.scheduled_until ?? null) !== null;
    const created = inEnvelope('incident', () =>
      scheduled
        ? scheduleMaintenance(ctx, actor(res), parseInput(maintenanceInput, envelope(req, 'incident', maintenanceInput)))
        : createIncident(ctx, actor(res), parseInput(newIncidentInput, envelope(req, 'incident', newIncidentInput))),
    );
    res.status(201).json(incident(created.id));
  });
  page.get('/incidents/:incident_id', (req, res) => {
    res.json(incident(req.params.incident_id ?? ''));
  });
  const patch = (req: Request, res: Response) => {
    const id = String(req.params.incident_id);
    getIncident(ctx.db, id);
    const body = envelope(req, 'incident', updateInput);
    inEnvelope('incident', () => postUpdate(ctx, actor(res), id, parseInput(updateInput, body)));
    res.json(incident(id));
  };
  page.patch('/incidents/:incident_id', patch);
  page.put('/incidents/:incident_id', patch);
  page.delete('/incidents/:incident_id', (req, res) => {
    const id = String(req.params.incident_id);
    const shape = incident(id);
    deleteIncident(ctx, actor(res), id);
    res.json(shape);
  });
  page.use(incidentUpdateApi(ctx));
  page.use(postmortemApi(ctx));

  const component = (id: string) => {
    getComponent(ctx.db, id);
    return componentsShape(pageLayout(ctx.db), ctx.pageId).find((c) => c.id === id);
  };
  // Groups are listed too, with group: true, as Statuspage's v1 does.
  page.get('/components', (_req, res) => {
    res.json(componentsShape(pageLayout(ctx.db), ctx.pageId));
  });
  page.post('/components', (req, res) => {
    const body = envelope(req, 'component', componentInput);
    const created = inEnvelope('component', () => createComponent(ctx, actor(res), parseInput(componentInput, body)));
    res.status(201).json(component(created.id));
  });
  page.get('/components/:component_id', (req, res) => {
    res.json(component(String(req.params.component_id)));
  });
  const patchComponent = (req: Request, res: Response) => {
    const id = String(req.params.component_id);
    getComponent(ctx.db, id);
    const body = envelope(req, 'component', componentPatch);
    inEnvelope('component', () => updateComponent(ctx, actor(res), id, parseInput(componentPatch, body)));
    res.json(component(id));
  };
  page.patch('/components/:component_id', patchComponent);
  page.put('/components/:component_id', patchComponent);
  page.delete('/components/:component_id', (req, res) => {
    const id = String(req.params.component_id);
    getComponent(ctx.db, id);
    deleteComponent(ctx, actor(res), id);
    res.status(204).end();
  });

  page.use(groupApi(ctx));
  page.use(uptimeApi(ctx));
  page.use(templateApi(ctx, envelope, actor));
  page.use(subscriberApi(ctx, envelope, actor));

  const router = Router();
  router.use(withoutJsonSuffix);
  // The pages this key may manage: the one page.
  router.get('/pages', requireApiKey(ctx), (_req, res) => {
    res.json([pageShape(ctx)]);
  });
  router.use('/pages/:page_id', page);
  return router;
}
