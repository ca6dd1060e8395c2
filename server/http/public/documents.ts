import { Router } from 'express';
import type { Context } from '../../context.js';
import { documentKey } from '../../snapshot/documents.js';
import { isDocumentPath, NOT_FOUND, notFoundKey } from '../../snapshot/public-paths.js';
import { writeBody } from '../../snapshot/body.js';
import { wantsJson } from '../middleware/errors.js';

/**
 * Every public document from the snapshot: the status page, the v2 JSON, incident pages, the history,
 * notices, calendars, the subscribe form, the feeds and badges. The fast path (http/fast-path.ts) answers them before Express
 * does; this route serves the same bytes to what reaches Express (tests through the app alone), and a
 * document path the snapshot holds nothing at (an unknown incident, a history page past the last) with
 * its not-found document: no request renders or queries anything.
 */
export function documentRoutes(ctx: Context): Router {
  const router = Router();
  router.get(/.*/, (req, res, next) => {
    const bodies = ctx.snapshot.current().bodies;
    const found = bodies.get(documentKey(req.path, req.query));
    const body = found ?? (isDocumentPath(req.path) ? bodies.get(notFoundKey(req.path)) : undefined);
    if (!body) return next();
    if (req.path.startsWith('/api/v2/')) res.set('Access-Control-Allow-Origin', '*');
    writeBody(req, res, body, {}, found ? 200 : 404);
  });
  return router;
}

/** The admin's own pages (its 404 has the admin's layout for an operator) and the APIs (JSON). */
const NOT_PUBLIC = /^\/(?:admin|setup|api)(?:\/|$)/;

/**
 * The last route: a public request that nothing answered (any method, any path, any Accept but JSON)
 * gets the snapshot's not-found page, made once per build, rather than an error page rendered per
 * request. Clients asking for JSON alone, the admin and the APIs get the error handler's (JSON costs
 * nothing to make; the admin's page is for a signed-in operator).
 */
export function notFoundRoute(ctx: Context): Router {
  const router = Router();
  router.all(/.*/, (req, res, next) => {
    if (NOT_PUBLIC.test(req.path) || wantsJson(req)) return next();
    const body = ctx.snapshot.current().bodies.get(NOT_FOUND.page);
    if (!body) return next();
    writeBody(req, res, body, {}, 404);
  });
  return router;
}
