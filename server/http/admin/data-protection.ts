import { Router, type Request } from 'express';
import type { Context } from '../../context.js';
import { flagPersonalData, recordNotification } from '../../domain/incidents/data-protection.js';
import { Invalid } from '../../errors.js';
import { fromZonedInput } from '../../lib/time.js';
import { actorOf } from '../locals.js';
import { field, formBody } from '../respond.js';
import { form } from '../middleware/form.js';
import type { FormContext } from '../locals.js';
import { pageZone } from '../../domain/page/time-zone.js';

function localTime(ctx: Context, value: string | undefined, name: string): string {
  const at = fromZonedInput(value ?? '', pageZone(ctx));
  if (!at) throw new Invalid({ [name]: 'Enter a date and time, such as 2026-11-30T14:05' });
  return at.toISOString();
}

/**
 * The data-protection clock on an incident: operators flag "personal data may be affected" (with when
 * the company became aware); admins record the notification to the supervisory authority.
 */
export function dataProtectionRoutes(ctx: Context, incidentPage: (id: string) => FormContext['data']): Router {
  const router = Router();
  const back = (req: Request) => `/admin/incidents/${String(req.params.id)}#data-protection`;

  router.post(
    '/admin/incidents/:id/personal-data',
    (req, res, next) => form('admin/incident', incidentPage(String(req.params.id)))(req, res, next),
    (req, res) => {
      const body = formBody(req);
      const flagged = field(body, 'personal_data_at_risk') === 'on';
      flagPersonalData(ctx, actorOf(res), String(req.params.id), {
        personal_data_at_risk: flagged,
        ...(flagged ? { aware_at: localTime(ctx, field(body, 'aware_at'), 'aware_at') } : {}),
      });
      res.redirect(303, back(req));
    },
  );

  router.post(
    '/admin/data-protection/:id/notified',
    (req, res, next) => form('admin/incident', incidentPage(String(req.params.id)))(req, res, next),
    (req, res) => {
      const body = formBody(req);
      recordNotification(ctx, actorOf(res), String(req.params.id), {
        notified_at: localTime(ctx, field(body, 'notified_at'), 'notified_at'),
        reference: field(body, 'reference') ?? '',
        delay_reasons: field(body, 'delay_reasons') ?? '',
      });
      res.redirect(303, back(req));
    },
  );
  return router;
}
