import { Router } from 'express';
import type { Context } from '../../context.js';
import { orderedComponents, pageLayout } from '../../domain/page/order.js';
import { cancelMaintenance, getMaintenance, patchMaintenance, scheduleMaintenance } from '../../domain/incidents/maintenance.js';
import { DEFAULT_REMIND_PRIOR_MINUTES } from '../../domain/incidents/schemas.js';
import { Invalid } from '../../errors.js';
import { fromZonedInput, toZonedInput } from '../../lib/time.js';
import { actorOf } from '../locals.js';
import { field, formBody, renderPage } from '../respond.js';
import { form } from '../middleware/form.js';
import { pageZone } from '../../domain/page/time-zone.js';

type Values = Record<string, string | string[]>;

const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The window's times, typed in the page's zone. */
function windowTimes(ctx: Context, body: Values): { scheduled_for: string; scheduled_until: string } {
  const fields: Record<string, string> = {};
  const out: Record<string, string> = {};
  for (const name of ['scheduled_for', 'scheduled_until'] as const) {
    const at = fromZonedInput(field(body, name) ?? '', pageZone(ctx));
    if (!at) fields[name] = 'Enter a date and time, such as 2026-12-01T02:00';
    else out[name] = at.toISOString();
  }
  if (Object.keys(fields).length) throw new Invalid(fields);
  return { scheduled_for: out.scheduled_for ?? '', scheduled_until: out.scheduled_until ?? '' };
}

function remindMinutes(body: Values): number {
  const raw = (field(body, 'scheduled_remind_prior') ?? '').trim();
  if (raw === '') return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 10080) throw new Invalid({ scheduled_remind_prior: 'Enter minutes from 0 (no reminder) to 10080' });
  return n;
}

/** Scheduling, moving and cancelling maintenance windows (operators and admins). */
export function maintenanceRoutes(ctx: Context): Router {
  const router = Router();
  const newData = (values: Values) => ({
    title: 'Schedule maintenance',
    nav: 'maintenance',
    components: orderedComponents(pageLayout(ctx.db)).map((c) => ({ ...c, checked: list(values.component_ids).includes(c.id) })),
  });

  router.get('/admin/maintenance/new', (_req, res) => {
    renderPage(ctx, res, 'admin/maintenance-new', {
      ...newData({}),
      values: {
        scheduled_remind_prior: String(DEFAULT_REMIND_PRIOR_MINUTES),
        auto_in_progress: 'on',
        auto_completed: 'on',
        notify_now: 'on',
        notify_start: 'on',
        notify_end: 'on',
      },
    });
  });
  router.post('/admin/maintenance', form('admin/maintenance-new', newData), (req, res) => {
    const body = formBody(req);
    const m = scheduleMaintenance(ctx, actorOf(res), {
      name: field(body, 'name') ?? '',
      body: field(body, 'body') ?? '',
      component_ids: list(body.component_ids),
      ...windowTimes(ctx, body),
      scheduled_remind_prior: remindMinutes(body),
      scheduled_auto_in_progress: field(body, 'auto_in_progress') === 'on',
      scheduled_auto_completed: field(body, 'auto_completed') === 'on',
      deliver_notifications: field(body, 'notify_now') === 'on',
      auto_transition_deliver_notifications_at_start: field(body, 'notify_start') === 'on',
      auto_transition_deliver_notifications_at_end: field(body, 'notify_end') === 'on',
    });
    res.redirect(303, `/admin/incidents/${m.id}`);
  });

  const rescheduleData = (id: string) => () => ({ title: 'Move the window', nav: 'maintenance', incident: getMaintenance(ctx.db, id) });
  router.get('/admin/maintenance/:id/reschedule', (req, res) => {
    const data = rescheduleData(req.params.id)();
    const tz = pageZone(ctx);
    renderPage(ctx, res, 'admin/maintenance-reschedule', {
      ...data,
      values: {
        scheduled_for: toZonedInput(data.incident.scheduled_for ?? '', tz),
        scheduled_until: toZonedInput(data.incident.scheduled_until ?? '', tz),
        notify: 'on',
      },
    });
  });
  router.post(
    '/admin/maintenance/:id/reschedule',
    (req, res, next) => form('admin/maintenance-reschedule', rescheduleData(String(req.params.id)))(req, res, next),
    (req, res) => {
      const id = String(req.params.id);
      const body = formBody(req);
      patchMaintenance(ctx, actorOf(res), id, {
        ...windowTimes(ctx, body),
        body: field(body, 'body') || undefined,
        deliver_notifications: field(body, 'notify') === 'on',
      });
      res.redirect(303, `/admin/incidents/${id}`);
    },
  );

  router.get('/admin/maintenance/:id/cancel', (req, res) => {
    const m = getMaintenance(ctx.db, req.params.id);
    renderPage(ctx, res, 'admin/confirm-delete', {
      title: 'Cancel maintenance',
      nav: 'maintenance',
      what: `the maintenance “${m.name}”`,
      verb: 'Cancel',
      note: 'Subscribers of the affected components are told it is cancelled; components under maintenance go back to operational.',
      action: `/admin/maintenance/${m.id}/cancel`,
      back: `/admin/incidents/${m.id}`,
    });
  });
  router.post('/admin/maintenance/:id/cancel', (req, res) => {
    cancelMaintenance(ctx, actorOf(res), req.params.id);
    res.redirect(303, `/admin/incidents/${req.params.id}`);
  });
  return router;
}
