import { Router, type Request } from 'express';
import type { Context } from '../../context.js';
import { maintenancePage, searchIncidents, unresolvedPage, type Paging } from '../../domain/incidents/queries.js';
import { Invalid } from '../../errors.js';
import { queryInt } from '../respond.js';
import { v1Incidents } from './v1-common.js';

const MAX_PER_PAGE = 100;
const MAX_QUERY = 200;

/** `page` (from 1) and `per_page` (or `limit`, as Statuspage's incidents list calls it), at most 100 a page. */
function paging(req: Request): Paging {
  const perPage = queryInt(req.query.per_page ?? req.query.limit, MAX_PER_PAGE, 1, MAX_PER_PAGE);
  return { limit: perPage, offset: (queryInt(req.query.page, 1, 1, 100_000) - 1) * perPage };
}

/**
 * The v1 incident lists, mounted on the page router before `/incidents/:incident_id`: all of them
 * (`q` searches the name, the status and the updates' text), the unresolved incidents, and the
 * maintenance windows: scheduled (all of them, completed included), upcoming (not started yet), and
 * active_maintenance (in progress or verifying). Each is paged with `page` and `per_page`.
 */
export function incidentListApi(ctx: Context): Router {
  const router = Router();
  const shapes = v1Incidents(ctx);
  router.get('/incidents', (req, res) => {
    const q: unknown = req.query.q ?? '';
    if (typeof q !== 'string') throw new Invalid({ q: 'Send one search text' });
    if (q.length > MAX_QUERY) throw new Invalid({ q: `At most ${MAX_QUERY} characters` });
    res.json(shapes(searchIncidents(ctx.db, q.trim(), paging(req))));
  });
  router.get('/incidents/unresolved', (req, res) => {
    res.json(shapes(unresolvedPage(ctx.db, paging(req))));
  });
  router.get('/incidents/scheduled', (req, res) => {
    res.json(shapes(maintenancePage(ctx.db, 'all', paging(req))));
  });
  router.get('/incidents/upcoming', (req, res) => {
    res.json(shapes(maintenancePage(ctx.db, 'upcoming', paging(req))));
  });
  router.get('/incidents/active_maintenance', (req, res) => {
    res.json(shapes(maintenancePage(ctx.db, 'active', paging(req))));
  });
  return router;
}
