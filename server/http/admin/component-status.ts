import { Router } from 'express';
import type { Context } from '../../context.js';
import type { Db } from '../../db/open.js';
import { getComponent } from '../../domain/page/components.js';
import { setComponentStatus, statusChangeInput } from '../../domain/page/component-status.js';
import { parseInput } from '../../lib/validate.js';
import { pageLayout } from '../../domain/page/order.js';
import { COMPONENT_STATUSES, COMPONENT_STATUS_LABELS } from '../../domain/page/status.js';
import { actorOf } from '../locals.js';
import { form } from '../middleware/form.js';
import { field, formBody, renderPage } from '../respond.js';

export const STATUS_CHOICES = COMPONENT_STATUSES.map((value) => ({ value, label: COMPONENT_STATUS_LABELS[value] }));

/** The pages a status form is sent from, and where it leads back to (to the component's own row). */
const BACK = {
  dashboard: { path: '/admin', label: 'Dashboard', nav: 'dashboard' },
  components: { path: '/admin/components', label: 'Components', nav: 'components' },
} as const;
const backOf = (value: unknown) => (value === 'components' ? BACK.components : BACK.dashboard);

/** What the dashboard shows of the components: each in page order, with the form that sets its status. */
export function componentBoard(db: Db) {
  return { statuses: STATUS_CHOICES, layout: pageLayout(db) };
}

/**
 * A component's status set by hand in one step, from a row of the components list or the dashboard (a
 * select, an optional reason, a button; no script needed). Operators may do it too: they already set
 * statuses through their incidents' updates, and during an attack the one on duty is not always an admin.
 */
export function componentStatusRoutes(ctx: Context): Router {
  const router = Router();
  const pageData = (id: string, back: unknown) => {
    const component = getComponent(ctx.db, id);
    const to = backOf(back);
    return { title: `Status of ${component.name}`, nav: to.nav, component, statuses: STATUS_CHOICES, back: to };
  };

  // The one-component form: what a row's form leads to when it is refused, and an address that answers a GET.
  router.get('/admin/component-status/:id', (req, res) => {
    const data = pageData(req.params.id, req.query.back);
    renderPage(ctx, res, 'admin/component-status', { ...data, values: { status: data.component.status, back: req.query.back } });
  });
  router.post(
    '/admin/component-status/:id',
    (req, res, next) => {
      // The id now: by the time a refusal renders the form, Express has left this route's params.
      const id = String(req.params.id);
      form('admin/component-status', (values) => pageData(id, values.back))(req, res, next);
    },
    (req, res) => {
      const id = String(req.params.id);
      const body = formBody(req);
      setComponentStatus(ctx, actorOf(res), id, parseInput(statusChangeInput, { status: field(body, 'status'), reason: field(body, 'reason') ?? '' }));
      res.redirect(303, `${backOf(field(body, 'back')).path}#component-${id}`);
    },
  );
  return router;
}
