import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Router } from 'express';
import { actorOf } from '../locals.js';
import type { Context } from '../../context.js';
import { allStats, listDeliveries, retryDead, sourceStats, type DeliveryState } from '../../domain/subscribers/outbox.js';
import { NotFound } from '../../errors.js';
import { mailDir } from '../../outbox/mail/transport.js';
import { field, formBody, queryInt, renderPage } from '../respond.js';
import { requireRecentConfirmation } from './reauth.js';

const STATES: DeliveryState[] = ['queued', 'sending', 'sent', 'failed', 'dead'];
const PAGE_SIZE = 200;
const EML_NAME = /^[\w-]+\.eml$/;

/** Where the mail stands (admins only): transport, last error, what waits, dead letters, the delivery log, written files. */
export function mailRoutes(ctx: Context): Router {
  const router = Router();

  router.get('/admin/mail', (_req, res) => {
    const worker = ctx.mail.state();
    const dir = mailDir(ctx.config);
    const files =
      ctx.mail.transport.kind === 'file' && existsSync(dir)
        ? readdirSync(dir)
            .filter((f) => EML_NAME.test(f))
            .sort()
            .reverse()
            .slice(0, 100)
            .map((name) => ({ name, size: statSync(join(dir, name)).size }))
        : [];
    renderPage(ctx, res, 'admin/mail', {
      title: 'Mail',
      nav: 'mail',
      worker,
      pausedUntil: worker.pausedUntil > ctx.clock.now().getTime() ? new Date(worker.pausedUntil).toISOString() : undefined,
      fileTransport: ctx.mail.transport.kind === 'file',
      stats: allStats(ctx.db),
      dead: listDeliveries(ctx.db, { state: 'dead' }, 50),
      failed: listDeliveries(ctx.db, { state: 'failed' }, 20),
      files,
    });
  });

  router.post('/admin/mail/retry', (req, res) => {
    const id = Number(field(formBody(req), 'id'));
    const count = retryDead(ctx, actorOf(res), Number.isInteger(id) && id > 0 ? [id] : 'all');
    (res.locals.log ?? ctx.log).info({ count }, 'dead-lettered messages queued again');
    res.redirect(303, '/admin/mail');
  });

  router.get('/admin/mail/files/:name', (req, res) => {
    const name = req.params.name;
    const path = join(mailDir(ctx.config), name);
    if (!EML_NAME.test(name) || !existsSync(path)) throw new NotFound('No such message file');
    renderPage(ctx, res, 'admin/mail-file', { title: name, nav: 'mail', name, content: readFileSync(path, 'utf8').slice(0, 500_000) });
  });

  router.get('/admin/deliveries', requireRecentConfirmation(ctx), (req, res) => {
    const source = typeof req.query.source === 'string' && req.query.source ? req.query.source.slice(0, 200) : undefined;
    const state = STATES.includes(req.query.state as DeliveryState) ? (req.query.state as DeliveryState) : undefined;
    const page = queryInt(req.query.page, 1, 1, 10_000);
    const endpoint = typeof req.query.endpoint === 'string' && /^[a-z0-9]{1,64}$/.test(req.query.endpoint) ? req.query.endpoint : undefined;
    const rows = listDeliveries(ctx.db, { source, state, endpoint }, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE);
    renderPage(ctx, res, 'admin/deliveries', {
      title: 'Delivery log',
      nav: 'mail',
      source: source ?? '',
      endpoint: endpoint ?? '',
      state: state ?? '',
      states: STATES,
      stats: source ? sourceStats(ctx.db, source) : allStats(ctx.db),
      deliveries: rows.slice(0, PAGE_SIZE),
      next: rows.length > PAGE_SIZE ? page + 1 : undefined,
      prev: page > 1 ? page - 1 : undefined,
    });
  });
  return router;
}
