import { Router, type Request } from 'express';
import type { Context } from '../../context.js';
import { auditActions, auditCsv, searchAudit, type AuditFilter } from '../../domain/access/audit.js';
import { fromZonedInput } from '../../lib/time.js';
import { queryInt, renderPage } from '../respond.js';
import { requireRecentConfirmation } from './reauth.js';
import { pageZone } from '../../domain/page/time-zone.js';

const PAGE_SIZE = 100;
const text = (v: unknown, max: number) => (typeof v === 'string' ? v.trim().slice(0, max) : '');

/** The filter from the query string; dates are days in the page's time zone (to is inclusive). */
function filterOf(ctx: Context, req: Request): { filter: AuditFilter; values: Record<string, string> } {
  const values = {
    action: text(req.query.action, 100),
    actor: text(req.query.actor, 254),
    text: text(req.query.text, 200),
    from: /^\d{4}-\d{2}-\d{2}$/.test(text(req.query.from, 10)) ? text(req.query.from, 10) : '',
    to: /^\d{4}-\d{2}-\d{2}$/.test(text(req.query.to, 10)) ? text(req.query.to, 10) : '',
  };
  const day = (d: string, offsetDays = 0) => {
    const start = d ? fromZonedInput(`${d}T00:00`, pageZone(ctx)) : undefined;
    return start ? new Date(start.getTime() + offsetDays * 86_400_000).toISOString() : undefined;
  };
  return {
    filter: {
      action: values.action || undefined,
      actor: values.actor || undefined,
      text: values.text || undefined,
      from: day(values.from),
      to: day(values.to, 1),
    },
    values,
  };
}

/** The audit log for admins: newest first, filtered by action, actor, text and days; exportable as CSV. */
export function auditRoutes(ctx: Context): Router {
  const router = Router();
  router.get('/admin/audit', (req, res) => {
    // Refusals still being tallied are written first, so the log shows them up to this moment.
    ctx.refusals.flush();
    const { filter, values } = filterOf(ctx, req);
    const page = queryInt(req.query.page, 1, 1, 100_000);
    const entries = searchAudit(ctx.db, filter, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE);
    const query = new URLSearchParams(Object.entries(values).filter(([, v]) => v)).toString();
    renderPage(ctx, res, 'admin/audit', {
      title: 'Audit log',
      nav: 'audit',
      entries: entries.slice(0, PAGE_SIZE),
      actions: auditActions(ctx.db),
      values,
      query,
      page,
      next: entries.length > PAGE_SIZE ? page + 1 : undefined,
      prev: page > 1 ? page - 1 : undefined,
    });
  });
  router.get('/admin/audit.csv', requireRecentConfirmation(ctx), (req, res) => {
    ctx.refusals.flush();
    const { filter } = filterOf(ctx, req);
    res.set({
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="audit-${ctx.clock.now().toISOString().slice(0, 10)}.csv"`,
    });
    res.send(auditCsv(ctx.db, filter));
  });
  return router;
}
