import { Router } from 'express';
import type { Context } from '../../context.js';
import { getDisplay } from '../../domain/page/display.js';
import { listRecent } from '../../domain/incidents/queries.js';
import { documentKey, historyPage } from '../../snapshot/documents.js';
import { queryInt, renderPage, sendBody } from '../respond.js';
import { pageZone } from '../../domain/page/time-zone.js';

/**
 * Every public document from the snapshot: the status page, the v2 JSON, incident pages, the history,
 * notices, calendars, the subscribe form, the feeds and badges. The fast path (http/fast-path.ts) answers them before Express
 * does; this route serves the same bytes to what reaches Express (tests through the app alone).
 */
export function documentRoutes(ctx: Context): Router {
  const router = Router();
  router.get(/.*/, (req, res, next) => {
    const body = ctx.snapshot.current().bodies.get(documentKey(req.path, req.query));
    if (!body) return next();
    if (req.path.startsWith('/api/v2/')) res.set('Access-Control-Allow-Origin', '*');
    sendBody(req, res, body);
  });
  // A history page past the last one (an old link): empty months, rendered on request.
  router.get('/history', (req, res) => {
    const n = queryInt(req.query.page, 1, 1, 1000);
    const incidents = listRecent(ctx.db, -1, ['incident']);
    renderPage(ctx, res, 'public/history', historyPage(incidents, ctx.clock.now(), pageZone(ctx), n, getDisplay(ctx.db)), { layout: 'public' });
  });
  return router;
}
