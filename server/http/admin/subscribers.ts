import { Router } from 'express';
import multer from 'multer';
import type { Context } from '../../context.js';
import { findSubscriber, SUBSCRIBER_STATES, type SubscriberState } from '../../domain/subscribers/subscribers.js';
import { removeSubscriber, searchSubscribers, subscriberCounts } from '../../domain/subscribers/subscriber-list.js';
import { exportCsv, importCsv } from '../../domain/subscribers/import-export.js';
import { HttpError, Invalid, NotFound, Unauthorized } from '../../errors.js';
import { actorOf, userActor } from '../locals.js';
import { requireAdmin, requireUser } from '../middleware/auth.js';
import { requireCsrf } from '../middleware/csrf.js';
import { field, formBody, queryInt, renderPage } from '../respond.js';
import { form } from '../middleware/form.js';
import { confirmPassword, requireRecentConfirmation } from './reauth.js';

const PAGE_SIZE = 100;
const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 5 * 1024 * 1024, files: 1, fields: 10 } });

const importData = () => ({ title: 'Import subscribers', nav: 'subscribers' });

/**
 * The import takes a multipart form (a file), so it is mounted ahead of the admin's urlencoded CSRF
 * check, with its own chain: signed-in admin, then multer reads the form, then the CSRF token is checked.
 */
export function subscriberImportRoute(ctx: Context): Router {
  const router = Router();
  router.post(
    '/admin/subscribers/import',
    requireUser,
    requireAdmin,
    (req, res, next) =>
      upload.single('file')(req, res, (err: unknown) => {
        if (!err) return next();
        const tooLarge = err instanceof multer.MulterError && err.code === 'LIMIT_FILE_SIZE';
        next(
          tooLarge
            ? new HttpError(413, 'payload_too_large', 'The file is larger than 5 MB')
            : new HttpError(400, 'bad_request', 'The upload could not be read'),
        );
      }),
    requireCsrf,
    form('admin/subscribers-import', importData),
    (req, res) => {
      if (!res.locals.user) throw new Unauthorized();
      const body = formBody(req);
      const text = req.file ? req.file.buffer.toString('utf8') : (field(body, 'csv') ?? '');
      if (!text.trim()) throw new Invalid({ csv: 'Choose a CSV file or paste addresses, one per line' });
      const result = importCsv(ctx, userActor(res.locals.user, req.ip), text, field(body, 'already_confirmed') === 'on');
      renderPage(ctx, res, 'admin/subscribers-import', { ...importData(), values: {}, result });
    },
  );
  return router;
}

/** Subscribers (admins only): search, filter, counts, remove, export and import CSV. */
export function subscriberRoutes(ctx: Context): Router {
  const router = Router();

  router.get('/admin/subscribers', requireRecentConfirmation(ctx), (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q.slice(0, 254) : '';
    const state = SUBSCRIBER_STATES.includes(req.query.state as SubscriberState) ? (req.query.state as SubscriberState) : undefined;
    const page = queryInt(req.query.page, 1, 1, 10_000);
    const subscribers = searchSubscribers(ctx.db, { q: q || undefined, state, limit: PAGE_SIZE + 1, offset: (page - 1) * PAGE_SIZE });
    renderPage(ctx, res, 'admin/subscribers', {
      title: 'Subscribers',
      nav: 'subscribers',
      counts: subscriberCounts(ctx.db),
      subscribers: subscribers.slice(0, PAGE_SIZE),
      q,
      state: state ?? '',
      states: SUBSCRIBER_STATES,
      page,
      next: subscribers.length > PAGE_SIZE ? page + 1 : undefined,
      prev: page > 1 ? page - 1 : undefined,
    });
  });

  const exportData = () => ({ title: 'Export subscribers', nav: 'subscribers' });
  router.get('/admin/subscribers/export', (_req, res) => {
    renderPage(ctx, res, 'admin/subscribers-export', { ...exportData(), values: {} });
  });
  router.post('/admin/subscribers/export.csv', form('admin/subscribers-export', exportData), async (req, res) => {
    await confirmPassword(ctx, res, formBody(req));
    const csv = exportCsv(ctx, actorOf(res));
    (res.locals.log ?? ctx.log).info({ by: res.locals.user?.id }, 'subscribers exported');
    res.set({
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="subscribers-${ctx.clock.now().toISOString().slice(0, 10)}.csv"`,
      'Cache-Control': 'no-store',
    });
    res.send(csv);
  });

  router.get('/admin/subscribers/import', (_req, res) => {
    renderPage(ctx, res, 'admin/subscribers-import', { ...importData(), values: {} });
  });

  router.get('/admin/subscribers/:id/delete', (req, res) => {
    const sub = findSubscriber(ctx.db, req.params.id);
    if (!sub) throw new NotFound('No such subscriber');
    renderPage(ctx, res, 'admin/confirm-delete', {
      title: 'Remove subscriber',
      nav: 'subscribers',
      what: `the subscriber ${sub.email}`,
      note: 'They receive nothing more, and their delivery history loses its link to them. They can subscribe again.',
      action: `/admin/subscribers/${sub.id}/delete`,
      back: '/admin/subscribers',
    });
  });
  router.post('/admin/subscribers/:id/delete', (req, res) => {
    if (!res.locals.user) throw new Unauthorized();
    removeSubscriber(ctx, userActor(res.locals.user, req.ip), req.params.id);
    res.redirect(303, '/admin/subscribers');
  });
  return router;
}
