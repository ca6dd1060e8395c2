import { Router } from 'express';
import type { Context } from '../../context.js';
import { getIncident, listStartedBetween, oldestStart } from '../../domain/incidents/queries.js';
import { isResolved } from '../../domain/page/status.js';
import { resolutionFigures } from '../../domain/incidents/metrics.js';
import { NotFound } from '../../errors.js';
import { formatDuration, formatMonth } from '../../render/format.js';
import { monthStart } from '../../lib/time.js';
import { queryInt, renderPage, sendBody } from '../respond.js';

const MONTHS_PER_PAGE = 3;

/** The status page (from the snapshot), an incident's page and the history, month by month. */
export function publicRoutes(ctx: Context): Router {
  const router = Router();

  router.get('/', (req, res) => {
    const body = ctx.snapshot.current().bodies.get('/');
    if (!body) throw new NotFound();
    sendBody(req, res, body);
  });

  router.get('/incidents/:id', (req, res) => {
    const incident = getIncident(ctx.db, req.params.id);
    const resolved = incident.kind === 'incident' && isResolved(incident.status) && incident.resolved_at;
    renderPage(
      ctx,
      res,
      'public/incident',
      {
        title: incident.name,
        incident,
        resolvedAfter: resolved ? formatDuration(incident.started_at, incident.resolved_at ?? incident.started_at) : undefined,
        updates: incident.incident_updates,
      },
      { layout: 'public' },
    );
  });

  router.get('/history', (req, res) => {
    const pageNumber = queryInt(req.query.page, 1, 1, 1000);
    const now = ctx.clock.now();
    const tz = ctx.config.timeZone;
    const months = [];
    for (let n = 0; n < MONTHS_PER_PAGE; n++) {
      const back = (pageNumber - 1) * MONTHS_PER_PAGE + n;
      const from = monthStart(now, tz, back);
      const to = monthStart(now, tz, back - 1);
      const incidents = listStartedBetween(ctx.db, from.toISOString(), to.toISOString()).map((i) => ({
        ...i,
        duration: i.resolved_at ? formatDuration(i.started_at, i.resolved_at) : undefined,
      }));
      months.push({ label: formatMonth(from.toISOString(), tz), incidents, count: incidents.length, figures: resolutionFigures(incidents) });
    }
    const oldest = oldestStart(ctx.db);
    const lastShown = monthStart(now, tz, pageNumber * MONTHS_PER_PAGE - 1);
    renderPage(
      ctx,
      res,
      'public/history',
      {
        title: 'Incident history',
        months,
        newer: pageNumber > 1 ? pageNumber - 1 : undefined,
        older: oldest && oldest < lastShown.toISOString() ? pageNumber + 1 : undefined,
      },
      { layout: 'public' },
    );
  });

  return router;
}
