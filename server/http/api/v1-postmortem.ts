import { Router } from 'express';
import type { Context } from '../../context.js';
import { getIncident } from '../../domain/incidents/queries.js';
import { deleteDraft, draftInput, postmortemShape, publishInput, publishPostmortem, revertPostmortem, saveDraft } from '../../domain/incidents/postmortem.js';
import { actor, envelope, inEnvelope } from './v1-common.js';

/**
 * Statuspage's postmortem endpoints: `GET/PUT/DELETE /incidents/:id/postmortem` (`{"postmortem":
 * {"body_draft"}}`), `PUT …/postmortem/publish` (`{"postmortem": {"notify_subscribers"}}`) and `PUT
 * …/postmortem/revert`. Each answers the postmortem object.
 */
export function postmortemApi(ctx: Context): Router {
  const router = Router();
  const base = '/incidents/:incident_id/postmortem';
  const id = (params: Record<string, string | string[] | undefined>) => String(params.incident_id);
  router.get(base, (req, res) => {
    res.json(postmortemShape(getIncident(ctx.db, id(req.params))));
  });
  router.put(base, (req, res) => {
    const body = envelope(req, 'postmortem', draftInput);
    res.json(postmortemShape(inEnvelope('postmortem', () => saveDraft(ctx, actor(res), id(req.params), { body_draft: body.body_draft as string }))));
  });
  router.delete(base, (req, res) => {
    res.json(postmortemShape(deleteDraft(ctx, actor(res), id(req.params))));
  });
  router.put(`${base}/publish`, (req, res) => {
    const body = req.body && typeof req.body === 'object' && 'postmortem' in req.body ? envelope(req, 'postmortem', publishInput) : {};
    const incident = inEnvelope('postmortem', () =>
      publishPostmortem(ctx, actor(res), id(req.params), { notify_subscribers: body.notify_subscribers as boolean | undefined }),
    );
    res.json(postmortemShape(incident));
  });
  router.put(`${base}/revert`, (req, res) => {
    res.json(postmortemShape(revertPostmortem(ctx, actor(res), id(req.params))));
  });
  return router;
}
