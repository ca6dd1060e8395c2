import { Router, type Request, type Response } from 'express';
import { jsonParser } from '../middleware/body.js';
import { queryInt } from '../respond.js';
import type { Context } from '../../context.js';
import type { Actor } from '../../domain/access/actors.js';
import { pageLayout } from '../../domain/page/order.js';
import { componentInput, componentPatch, createComponent, deleteComponent, getComponent, updateComponent } from '../../domain/page/components.js';
import { createIncident, deleteIncident } from '../../domain/incidents/writes.js';
import { getIncident, listRecent, type Incident } from '../../domain/incidents/queries.js';
import { scheduleMaintenance } from '../../domain/incidents/maintenance.js';
import { maintenanceInput, newIncidentInput, updateInput } from '../../domain/incidents/schemas.js';
import { postUpdate } from '../../domain/incidents/updates.js';
import { parseInput } from '../../lib/validate.js';
import { Invalid, Unauthorized } from '../../errors.js';
import { componentsShape, incidentShape, maintenanceShape, pagePositions } from '../../snapshot/shapes.js';
import { requireApiKey } from '../middleware/auth.js';
import { subscriberApi } from './subscribers.js';

/** The object under `key` in a Statuspage v1 body (`{"incident": {...}}`), or a 422 naming it. */
function envelope(req: Request, key: string): Record<string, unknown> {
  const body: unknown = req.body;
  const inner = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>)[key] : undefined;
  if (!inner || typeof inner !== 'object' || Array.isArray(inner)) {
    throw new Invalid({ [key]: `Send a JSON object as {"${key}": {...}} with Content-Type: application/json` });
  }
  return inner as Record<string, unknown>;
}

/** Runs a write on an envelope's content: its field errors name fields inside it ("name" is "incident.name"). */
function inEnvelope<T>(key: string, write: () => T): T {
  try {
    return write();
  } catch (err) {
    throw err instanceof Invalid ? err.within(`${key}.`) : err;
  }
}

function actor(res: Response): Actor {
  if (!res.locals.apiActor) throw new Unauthorized();
  return res.locals.apiActor;
}

/** Management API in Statuspage's v1 shapes, for automation. */
export function v1Routes(ctx: Context): Router {
  const page = Router({ mergeParams: true });
  // The key is checked on the headers before the body is read: a client without one cannot make the
  // server read and parse a megabyte of JSON.
  page.use(requireApiKey(ctx), jsonParser(1024 * 1024));
  // v1 incidents also carry impact_override, so automation can read back what it set; maintenance its window.
  const shape = (i: Incident, positions = pagePositions(pageLayout(ctx.db))) => ({
    ...(i.kind === 'maintenance'
      ? maintenanceShape(i, ctx.pageId, ctx.config.publicUrl, positions)
      : incidentShape(i, ctx.pageId, ctx.config.publicUrl, positions)),
    impact_override: i.impact_override,
  });
  const incident = (id: string) => shape(getIncident(ctx.db, id));

  page.get('/incidents', (req, res) => {
    const limit = queryInt(req.query.limit, 100, 1, 100);
    const positions = pagePositions(pageLayout(ctx.db));
    res.json(listRecent(ctx.db, limit, ['incident', 'maintenance']).map((i) => shape(i, positions)));
  });
  page.post('/incidents', (req, res) => {
    const body = envelope(req, 'incident');
    // As on Statuspage, an incident with a window is scheduled maintenance.
    const created = inEnvelope('incident', () =>
      (body.scheduled_for ?? null) !== null || (body.scheduled_until ?? null) !== null
        ? scheduleMaintenance(ctx, actor(res), parseInput(maintenanceInput, body))
        : createIncident(ctx, actor(res), parseInput(newIncidentInput, body)),
    );
    res.status(201).json(incident(created.id));
  });
  page.get('/incidents/:incident_id', (req, res) => {
    res.json(incident(req.params.incident_id ?? ''));
  });
  const patch = (req: Request, res: Response) => {
    const id = String(req.params.incident_id);
    getIncident(ctx.db, id);
    const body = envelope(req, 'incident');
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

  const component = (id: string) => {
    getComponent(ctx.db, id);
    return componentsShape(pageLayout(ctx.db), ctx.pageId).find((c) => c.id === id);
  };
  // Groups are listed too, with group: true, as Statuspage's v1 does.
  page.get('/components', (_req, res) => {
    res.json(componentsShape(pageLayout(ctx.db), ctx.pageId));
  });
  page.post('/components', (req, res) => {
    const body = envelope(req, 'component');
    const created = inEnvelope('component', () => createComponent(ctx, actor(res), parseInput(componentInput, body)));
    res.status(201).json(component(created.id));
  });
  page.get('/components/:component_id', (req, res) => {
    res.json(component(String(req.params.component_id)));
  });
  const patchComponent = (req: Request, res: Response) => {
    const id = String(req.params.component_id);
    getComponent(ctx.db, id);
    const body = envelope(req, 'component');
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

  page.use(subscriberApi(ctx, envelope, actor));

  const router = Router();
  router.use('/pages/:page_id', page);
  return router;
}
