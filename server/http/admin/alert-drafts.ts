import { Router } from 'express';
import type { Context } from '../../context.js';
import { setHoldAlerts } from '../../domain/access/api-keys.js';
import { dropDraft, publishDraft } from '../../domain/incidents/alert-drafts.js';
import { Unauthorized } from '../../errors.js';
import { userActor } from '../locals.js';
import { requireAdmin } from '../middleware/auth.js';
import { field, formBody } from '../respond.js';

/**
 * Alerts held for approval: an operator publishes or discards a draft from the dashboard; an admin
 * chooses which API keys hold their alerts (Admin → API keys).
 */
export function alertDraftRoutes(ctx: Context): Router {
  const router = Router();
  router.post('/admin/alert-drafts/:id/publish', (req, res) => {
    if (!res.locals.user) throw new Unauthorized();
    const incident = publishDraft(ctx, userActor(res.locals.user, req.ip), String(req.params.id));
    res.redirect(303, `/admin/incidents/${incident.id}`);
  });
  router.post('/admin/alert-drafts/:id/discard', (req, res) => {
    if (!res.locals.user) throw new Unauthorized();
    dropDraft(ctx, userActor(res.locals.user, req.ip), String(req.params.id), 'alert.draft_discarded');
    res.redirect(303, '/admin');
  });
  router.post('/admin/api-keys/:id/hold-alerts', requireAdmin, (req, res) => {
    if (!res.locals.user) throw new Unauthorized();
    setHoldAlerts(ctx, userActor(res.locals.user, req.ip), String(req.params.id), field(formBody(req), 'hold') === 'on');
    res.redirect(303, '/admin/api-keys');
  });
  return router;
}
