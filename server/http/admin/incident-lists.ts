import { Router, type Request } from 'express';
import type { Context } from '../../context.js';
import { incidentListPage, listMaintenance, maintenancePage, type Incident } from '../../domain/incidents/queries.js';
import { INCIDENT_STATUS_LABELS, isResolved } from '../../domain/page/status.js';
import { formatDuration } from '../../render/format.js';
import { queryInt, renderPage } from '../respond.js';

/** Rows a page of a list shows (one more is read, to know whether an older page follows). */
const PER_PAGE = 25;

/** `?page=N` as a page of PER_PAGE rows, with the pages before and after it (the next only if it has rows). */
function paged(req: Request, read: (paging: { limit: number; offset: number }) => Incident[]) {
  const page = queryInt(req.query.page, 1, 1, 10_000);
  const rows = read({ limit: PER_PAGE + 1, offset: (page - 1) * PER_PAGE });
  return { rows: rows.slice(0, PER_PAGE), page, prev: page > 1 ? page - 1 : undefined, next: rows.length > PER_PAGE ? page + 1 : undefined };
}

/** A maintenance window as the list shows it: what it touches, and whether it was cancelled. */
const windowRow = (m: Incident) => ({
  id: m.id,
  name: m.name,
  status: INCIDENT_STATUS_LABELS[m.status],
  scheduled_for: m.scheduled_for,
  scheduled_until: m.scheduled_until,
  components: m.components.map((c) => c.name).join(', '),
  cancelled: Boolean(m.cancelled_at),
  // What is left for the operator to do: a window moves on by itself only where it was asked to.
  byHand: byHand(m),
});
function byHand(m: Incident): string {
  const start = m.status === 'scheduled' && m.scheduled_auto_in_progress !== 1;
  const end = m.status !== 'completed' && m.scheduled_auto_completed !== 1;
  return start && end ? 'started and completed by hand' : start ? 'started by hand' : end ? 'completed by hand' : '';
}

/**
 * The lists behind the two create forms' targets: GET /admin/incidents (every incident, searchable) and
 * GET /admin/maintenance (upcoming, in progress, completed). A refused form leaves its target in the
 * address bar; reloading it shows the list rather than a 404.
 */
export function incidentListRoutes(ctx: Context): Router {
  const router = Router();

  router.get('/admin/incidents', (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q.trim() : '';
    const list = paged(req, (paging) => incidentListPage(ctx.db, q, paging));
    const now = ctx.clock.now().toISOString();
    renderPage(ctx, res, 'admin/incidents', {
      title: 'All incidents',
      nav: 'incidents',
      incidents: list.rows.map((i) => ({
        ...i,
        open: !isResolved(i.status),
        lasted: formatDuration(i.started_at, i.resolved_at ?? now),
      })),
      q,
      qParam: encodeURIComponent(q),
      prev: list.prev,
      next: list.next,
    });
  });

  router.get('/admin/maintenance', (req, res) => {
    const completed = paged(req, (paging) => maintenancePage(ctx.db, 'completed', paging));
    renderPage(ctx, res, 'admin/maintenance', {
      title: 'Maintenance',
      nav: 'maintenance',
      active: listMaintenance(ctx.db, 'active').map(windowRow),
      upcoming: listMaintenance(ctx.db, 'upcoming').map(windowRow),
      completed: completed.rows.map(windowRow),
      prev: completed.prev,
      next: completed.next,
    });
  });

  return router;
}
