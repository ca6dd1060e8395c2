import { Router } from 'express';
import type { Context } from '../../context.js';
import { NotFound } from '../../errors.js';

/**
 * Statuspage-compatible public read API. Its documents are the snapshot's (http/public/documents.ts and
 * the fast path serve them); what reaches here is no endpoint of it: a JSON 404, with CORS as the rest.
 */
export function v2Routes(_ctx: Context): Router {
  const router = Router();
  router.use((_req, res) => {
    res.set('Access-Control-Allow-Origin', '*');
    throw new NotFound('No such endpoint');
  });
  return router;
}
