import { Router } from 'express';
import type { Context } from '../../context.js';
import { documentKey } from '../../snapshot/documents.js';
import { sendBody } from '../respond.js';

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
  return router;
}
