import { Router } from 'express';
import type { Context } from '../../context.js';
import {
  CATEGORIES,
  CATEGORY_LABELS,
  DATA_PROTECTION_FIELDS,
  getCommunication,
  latestCommunications,
  publishCommunication,
  versionsOf,
  noticeSections,
  communicationInput,
} from '../../domain/subscribers/communications.js';
import { parseInput } from '../../lib/validate.js';
import { listRecent } from '../../domain/incidents/queries.js';
import { sourceStats } from '../../domain/subscribers/outbox.js';
import { Unauthorized } from '../../errors.js';
import { userActor } from '../locals.js';
import { field, formBody, renderPage } from '../respond.js';
import { form } from '../middleware/form.js';

const FIELDS = ['category', 'title', 'what_happened', 'data_involved', 'consequences', 'measures', 'what_to_do', 'contact', 'body', 'incident_id'];

function communicationFields(body: Record<string, string | string[]>): Record<string, string> {
  return Object.fromEntries(FIELDS.map((name) => [name, field(body, name) ?? '']));
}

/** Official communications (admins only): publish, and correct by publishing a new version. */
export function communicationRoutes(ctx: Context): Router {
  const router = Router();
  const formData = (title: string, action: string) => () => ({
    title,
    nav: 'communications',
    action,
    categories: CATEGORIES.map((value) => ({ value, label: CATEGORY_LABELS[value] })),
    dpFields: DATA_PROTECTION_FIELDS,
    incidents: listRecent(ctx.db, 50),
  });

  router.get('/admin/communications', (_req, res) => {
    renderPage(ctx, res, 'admin/communications', { title: 'Communications', nav: 'communications', notices: latestCommunications(ctx.db) });
  });

  router.get('/admin/communications/new', (req, res) => {
    const incident = typeof req.query.incident === 'string' ? req.query.incident : '';
    renderPage(ctx, res, 'admin/communication-form', {
      ...formData('New notice', '/admin/communications')(),
      values: { category: 'data_protection', incident_id: incident },
    });
  });
  router.post('/admin/communications', form('admin/communication-form', formData('New notice', '/admin/communications')), (req, res) => {
    if (!res.locals.user) throw new Unauthorized();
    const notice = publishCommunication(ctx, userActor(res.locals.user, req.ip), parseInput(communicationInput, communicationFields(formBody(req))));
    res.redirect(303, `/admin/communications/${notice.id}`);
  });

  router.get('/admin/communications/:id', (req, res) => {
    const notice = getCommunication(ctx.db, req.params.id);
    const versions = versionsOf(ctx.db, notice.series_id);
    renderPage(ctx, res, 'admin/communication', {
      title: notice.title,
      nav: 'communications',
      notice,
      ...noticeSections(notice),
      versions,
      isNewest: versions[0]?.id === notice.id,
      source: `communication:${notice.id}`,
      stats: sourceStats(ctx.db, `communication:${notice.id}`),
      liveProgress: true,
    });
  });

  const correctData = (id: string) => formData('Publish a correction', `/admin/communications/${id}/correct`);
  router.get('/admin/communications/:id/correct', (req, res) => {
    const notice = getCommunication(ctx.db, req.params.id);
    renderPage(ctx, res, 'admin/communication-form', {
      ...correctData(notice.id)(),
      correcting: notice,
      values: { ...notice, incident_id: notice.incident_id ?? '' },
    });
  });
  router.post(
    '/admin/communications/:id/correct',
    (req, res, next) => form('admin/communication-form', correctData(String(req.params.id)))(req, res, next),
    (req, res) => {
      if (!res.locals.user) throw new Unauthorized();
      const notice = publishCommunication(
        ctx,
        userActor(res.locals.user, req.ip),
        parseInput(communicationInput, communicationFields(formBody(req))),
        String(req.params.id),
      );
      res.redirect(303, `/admin/communications/${notice.id}`);
    },
  );
  return router;
}
