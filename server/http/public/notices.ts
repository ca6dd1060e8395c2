import { Router } from 'express';
import type { Context } from '../../context.js';
import { getCommunication, latestCommunications, noticeSections, versionsOf } from '../../domain/subscribers/communications.js';
import { renderPage } from '../respond.js';

/** Official notices: each version keeps its permanent page; corrections link to what they replace. */
export function noticeRoutes(ctx: Context): Router {
  const router = Router();
  router.get('/notices', (_req, res) => {
    renderPage(ctx, res, 'public/notices', { title: 'Notices', notices: latestCommunications(ctx.db) }, { layout: 'public' });
  });
  router.get('/notices/:id', (req, res) => {
    const notice = getCommunication(ctx.db, req.params.id);
    const versions = versionsOf(ctx.db, notice.series_id);
    const newest = versions[0];
    renderPage(
      ctx,
      res,
      'public/notice',
      {
        title: notice.title,
        notice,
        ...noticeSections(notice),
        versions: versions.length > 1 ? versions : [],
        supersededBy: newest && newest.id !== notice.id ? newest : undefined,
      },
      { layout: 'public' },
    );
  });
  return router;
}
