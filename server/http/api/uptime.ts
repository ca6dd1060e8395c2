import { Router } from 'express';
import type { Context } from '../../context.js';
import { componentUptime, groupUptime, type UptimeReport } from '../../domain/page/uptime-range.js';

/** Statuspage's fields common to a component's and a group's uptime (percent to 0.01, as the page shows it). */
function uptimeShape(report: UptimeReport) {
  return {
    range_start: report.first,
    range_end: report.last,
    uptime_percentage: report.percent === null ? null : Math.floor(report.percent * 100) / 100,
    major_outage: report.majorSeconds,
    partial_outage: report.partialSeconds,
    warnings: report.warnings,
  };
}

/**
 * The v1 uptime endpoints, mounted on the v1 page router behind its API key:
 * `GET /components/:component_id/uptime` and `GET /component-groups/:id/uptime`, with `start` and `end`
 * (dates in the page's zone; a month or a year stands for its first or last day; at most six calendar
 * months; by default the last 90 days, as the page's bars). A bad date is a 422 naming `start` or `end`.
 */
export function uptimeApi(ctx: Context): Router {
  const router = Router();
  router.get('/components/:component_id/uptime', (req, res) => {
    const { component, report } = componentUptime(ctx, String(req.params.component_id), { start: req.query.start, end: req.query.end });
    res.json({
      ...uptimeShape(report),
      id: component.id,
      name: component.name,
      related_events: (report.components[0]?.incidents ?? []).map((id) => ({ id })),
    });
  });
  router.get('/component-groups/:id/uptime', (req, res) => {
    const { group, report } = groupUptime(ctx, String(req.params.id), { start: req.query.start, end: req.query.end });
    res.json({
      ...uptimeShape(report),
      id: group.id,
      name: group.name,
      related_events: report.components.map((c) => ({ component_id: c.id, incidents: c.incidents.map((id) => ({ id })) })),
    });
  });
  return router;
}
