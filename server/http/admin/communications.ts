import { Router, type Response } from 'express';
import type { Context } from '../../context.js';
import {
  getCommunication,
  latestCommunications,
  publishCommunication,
  versionsOf,
  noticeSections,
  communicationInput,
} from '../../domain/subscribers/communications.js';
import { createNoticeDraft, draftInput, listNoticeDrafts } from '../../domain/subscribers/notice-drafts.js';
import { parseInput } from '../../lib/validate.js';
import { sourceStats } from '../../domain/subscribers/outbox.js';
import { actorOf } from '../locals.js';
import { field, formBody, renderPage } from '../respond.js';
import { form } from '../middleware/form.js';
import { clockPanel, communicationFields, formAction, formChoices, noticeValues } from './communication-form.js';
import { noticeDraftRoutes } from './notice-drafts.js';

/**
 * Official communications (admins only): a notice is drafted, previewed and published (notice-drafts.ts),
 * and corrected by drafting and publishing a new version; a published version is never edited.
 */
export function communicationRoutes(ctx: Context): Router {
  const router = Router();
  const formData = (title: string, action: string) => (values: Record<string, string | string[]>) => ({
    title,
    action,
    ...formChoices(ctx),
    clock: clockPanel(ctx, field(values, 'category') ?? '', field(values, 'incident_id')),
  });

  /**
   * The notice's form, sent: saved as a draft (then its form again, or its preview), or, from a form
   * without the draft buttons (a page opened before an upgrade, a script), published at once as before.
   */
  const sent = (res: Response, body: Record<string, string | string[]>, replacesId?: string) => {
    const action = formAction(body);
    if (action === 'publish') {
      const notice = publishCommunication(ctx, actorOf(res), parseInput(communicationInput, communicationFields(body)), replacesId);
      res.redirect(303, `/admin/communications/${notice.id}`);
      return;
    }
    const draft = createNoticeDraft(ctx, actorOf(res), parseInput(draftInput, communicationFields(body)), replacesId);
    res.redirect(303, `/admin/communications/drafts/${draft.id}${action === 'preview' ? '/preview' : '?saved=1'}`);
  };

  router.get('/admin/communications', (_req, res) => {
    renderPage(ctx, res, 'admin/communications', {
      title: 'Communications',
      nav: 'communications',
      notices: latestCommunications(ctx.db),
      drafts: listNoticeDrafts(ctx.db),
      clock: clockPanel(ctx, '', undefined),
    });
  });

  router.get('/admin/communications/new', (req, res) => {
    const incident = typeof req.query.incident === 'string' ? req.query.incident : '';
    const values = { category: 'data_protection', incident_id: incident };
    renderPage(ctx, res, 'admin/communication-form', { ...formData('New notice', '/admin/communications')(values), values });
  });
  router.post('/admin/communications', form('admin/communication-form', formData('New notice', '/admin/communications')), (req, res) => {
    sent(res, formBody(req));
  });

  // Before /admin/communications/:id, which would take "drafts" for an id.
  router.use(noticeDraftRoutes(ctx));

  router.get('/admin/communications/:id', (req, res) => {
    const notice = getCommunication(ctx.db, req.params.id);
    const versions = versionsOf(ctx.db, notice.series_id);
    renderPage(ctx, res, 'admin/communication', {
      title: notice.title,
      nav: 'communications',
      notice,
      ...noticeSections(notice),
      versions,
      isNewest: versions[0]?.id === notice.id,
      source: `communication:${notice.id}`,
      stats: sourceStats(ctx.db, `communication:${notice.id}`),
      liveProgress: true,
    });
  });

  const correctData = (id: string) => (values: Record<string, string | string[]>) => ({
    ...formData('Correct this notice', `/admin/communications/${id}/correct`)(values),
    correcting: getCommunication(ctx.db, id),
  });
  router.get('/admin/communications/:id/correct', (req, res) => {
    const notice = getCommunication(ctx.db, req.params.id);
    const values = noticeValues(notice);
    renderPage(ctx, res, 'admin/communication-form', { ...correctData(notice.id)(values), values });
  });
  router.post(
    '/admin/communications/:id/correct',
    (req, res, next) => form('admin/communication-form', correctData(String(req.params.id)))(req, res, next),
    (req, res) => {
      sent(res, formBody(req), String(req.params.id));
    },
  );
  return router;
}
