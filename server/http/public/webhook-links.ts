import { Router } from 'express';
import type { Context } from '../../context.js';
import { deleteEndpoint } from '../../domain/subscribers/endpoints.js';
import { webhookOf } from './link-check.js';
import { HttpError } from '../../errors.js';
import { renderPage } from '../respond.js';

/**
 * A webhook's unsubscribe link (`meta.unsubscribe` in every payload): a GET shows a button (link
 * scanners and previews follow links), the POST removes the webhook. (The webhooks' documentation page,
 * meta.documentation in every payload, is a document of the snapshot: /webhooks.) Wrong tokens count toward the
 * network's limit with the other subscriber links (subscriptions.ts).
 */
export function webhookLinkRoutes(ctx: Context): Router {
  const router = Router();
  const endpointOf = (token: string) => {
    const e = webhookOf(ctx, token);
    if (!e) throw new HttpError(404, 'link_not_valid', 'This link is not valid: the webhook was removed already, or the link is not ours.');
    return e;
  };
  router.get('/webhooks/unsubscribe/:token', (req, res) => {
    const e = endpointOf(req.params.token);
    renderPage(ctx, res, 'public/webhook-unsubscribe', { title: 'Remove a webhook', url: e.url, token: req.params.token }, { layout: 'public' });
  });
  router.post('/webhooks/unsubscribe/:token', (req, res) => {
    const e = endpointOf(req.params.token);
    deleteEndpoint(ctx, { type: 'anonymous', ip: req.ip }, e.id, 'webhook');
    renderPage(
      ctx,
      res,
      'public/subscription-message',
      { title: 'Webhook removed', heading: 'Webhook removed', message: `Nothing more will be sent to ${e.url}.` },
      { layout: 'public' },
    );
  });
  return router;
}
