import { Router } from 'express';
import type { Context } from '../../context.js';
import { NotFound } from '../../errors.js';
import { sendBody } from '../respond.js';

/** Statuspage-compatible public read API, served from the snapshot's prebuilt bodies. */
export function v2Routes(ctx: Context): Router {
  const router = Router();
  router.use((_req, res, next) => {
    res.set('Access-Control-Allow-Origin', '*');
    next();
  });
  router.get(/.*\.json$/, (req, res) => {
    const body = ctx.snapshot.current().bodies.get(`/api/v2${req.path}`);
    if (!body) throw new NotFound('No such endpoint');
    sendBody(req, res, body);
  });
  return router;
}
