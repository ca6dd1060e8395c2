import { Router, type Request, type Response } from 'express';
import type { Context } from '../../context.js';
import { getIncident } from '../../domain/incidents/queries.js';
import { updateEditInput } from '../../domain/incidents/schemas.js';
import { editUpdate } from '../../domain/incidents/writes.js';
import { NotFound } from '../../errors.js';
import { parseInput } from '../../lib/validate.js';
import { updateShape } from '../../snapshot/shapes.js';
import { actor, envelope, inEnvelope } from './v1-common.js';

/**
 * `PATCH`/`PUT /incidents/:incident_id/incident_updates/:update_id` with `{"incident_update": {"body",
 * "display_at", "deliver_notifications"}}`: an update edited afterwards, through the write path (the
 * page and its live viewers follow, the audit log keeps it before and after). As on Statuspage an edit
 * notifies nobody; deliver_notifications is recorded as given. Answers the update.
 */
export function incidentUpdateApi(ctx: Context): Router {
  const router = Router();
  const edit = (req: Request, res: Response) => {
    const incidentId = String(req.params.incident_id);
    const updateId = String(req.params.update_id);
    if (!getIncident(ctx.db, incidentId).incident_updates.some((u) => u.id === updateId)) throw new NotFound('No such incident update');
    const body = envelope(req, 'incident_update', updateEditInput);
    const incident = inEnvelope('incident_update', () => editUpdate(ctx, actor(res), incidentId, updateId, parseInput(updateEditInput, body)));
    const update = incident.incident_updates.find((u) => u.id === updateId);
    if (!update) throw new NotFound('No such incident update');
    res.json(updateShape(update));
  };
  router.patch('/incidents/:incident_id/incident_updates/:update_id', edit);
  router.put('/incidents/:incident_id/incident_updates/:update_id', edit);
  return router;
}
