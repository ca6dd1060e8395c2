import { Router } from 'express';
import type { Context } from '../../context.js';
import { getIncident } from '../../domain/incidents/queries.js';
import { publishPostmortem, revertPostmortem, saveDraft } from '../../domain/incidents/postmortem.js';
import { Invalid } from '../../errors.js';
import { actorOf } from '../locals.js';
import { form } from '../middleware/form.js';
import { releaseOnce } from '../middleware/once.js';
import type { FormContext } from '../locals.js';
import { field, formBody, renderPage } from '../respond.js';

/**
 * The postmortem editor on a resolved incident's admin page: save the draft, preview it (rendered as
 * the page will show it, nothing saved), publish it (optionally telling subscribers), revert it.
 */
export function postmortemRoutes(ctx: Context, pageData: (id: string) => FormContext['data']): Router {
  const router = Router();
  router.post(
    '/admin/incidents/:id/postmortem',
    (req, res, next) => form('admin/incident', pageData(String(req.params.id)))(req, res, next),
    (req, res) => {
      const id = String(req.params.id);
      const body = formBody(req);
      const draft = field(body, 'body_draft') ?? '';
      const action = field(body, 'action');
      if (action === 'preview') {
        getIncident(ctx.db, id);
        releaseOnce(ctx, req);
        renderPage(ctx, res, 'admin/incident', { ...pageData(id)(body), values: body, preview: draft });
        return;
      }
      // Publishing an empty form would first wipe the saved draft: refuse before anything is written.
      if (action === 'publish' && !draft.trim()) throw new Invalid({ body_draft: 'Write the postmortem first: there is no draft to publish' });
      saveDraft(ctx, actorOf(res), id, { body_draft: draft });
      if (action === 'publish') publishPostmortem(ctx, actorOf(res), id, { notify_subscribers: field(body, 'notify_subscribers') === 'on' });
      res.redirect(303, `/admin/incidents/${id}#postmortem`);
    },
  );
  router.post(
    '/admin/incidents/:id/postmortem/revert',
    (req, res, next) => form('admin/incident', pageData(String(req.params.id)))(req, res, next),
    (req, res) => {
      const id = String(req.params.id);
      revertPostmortem(ctx, actorOf(res), id);
      res.redirect(303, `/admin/incidents/${id}#postmortem`);
    },
  );
  return router;
}
