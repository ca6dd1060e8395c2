import { Router } from 'express';
import type { Context } from '../../context.js';
import { listComponents } from '../../domain/page/components.js';
import { enqueueEndpointTest } from '../../domain/subscribers/endpoint-deliveries.js';
import {
  CHAT_KINDS,
  countEndpoints,
  createChatChannel,
  createWebhook,
  deleteEndpoint,
  enableEndpoint,
  endpointComponents,
  getEndpoint,
  listEndpoints,
  TOPICS,
  type Endpoint,
} from '../../domain/subscribers/endpoints.js';
import { auditedWrite } from '../../domain/write-path.js';
import { Unauthorized } from '../../errors.js';
import { userActor } from '../locals.js';
import { form } from '../middleware/form.js';
import { field, formBody, queryInt, renderPage } from '../respond.js';
import { requireRecentConfirmation } from './reauth.js';

const PAGE_SIZE = 100;
export const CHAT_LABELS: Record<(typeof CHAT_KINDS)[number], string> = {
  slack: 'Slack',
  teams: 'Microsoft Teams',
  discord: 'Discord',
  google_chat: 'Google Chat',
};

const list = (v: string | string[] | undefined): string[] => (Array.isArray(v) ? v : v ? [v] : []);

/** Webhook subscribers (Subscribers → Webhooks) and chat channels (Communications → Chat), admins only. */
export function endpointRoutes(ctx: Context): Router {
  const router = Router();
  const components = () => listComponents(ctx.db).map((c) => ({ id: c.id, name: c.name }));
  const names = () => new Map(components().map((c) => [c.id, c.name]));
  const describe = (e: Endpoint, byId: Map<string, string>) => ({
    ...e,
    components: e.all_components
      ? 'all'
      : endpointComponents(ctx.db, e.id)
          .map((id) => byId.get(id) ?? id)
          .join(', '),
    topicList: (JSON.parse(e.topics) as string[]).join(', '),
    service: e.kind === 'webhook' ? 'Webhook' : CHAT_LABELS[e.kind],
  });

  const webhookData = (page = 1) => {
    const byId = names();
    const rows = listEndpoints(ctx.db, 'webhook', PAGE_SIZE + 1, (page - 1) * PAGE_SIZE);
    return {
      title: 'Webhook subscribers',
      nav: 'subscribers',
      components: components(),
      count: countEndpoints(ctx.db, 'webhook'),
      webhooks: rows.slice(0, PAGE_SIZE).map((e) => describe(e, byId)),
      next: rows.length > PAGE_SIZE ? page + 1 : undefined,
      prev: page > 1 ? page - 1 : undefined,
    };
  };
  router.get('/admin/subscribers/webhooks', requireRecentConfirmation(ctx), (req, res) => {
    renderPage(ctx, res, 'admin/webhooks', { ...webhookData(queryInt(req.query.page, 1, 1, 10_000)), values: {} });
  });
  router.post(
    '/admin/subscribers/webhooks',
    form('admin/webhooks', () => webhookData()),
    async (req, res) => {
      if (!res.locals.user) throw new Unauthorized();
      const body = formBody(req);
      const { endpoint, signingSecret } = await createWebhook(
        ctx,
        userActor(res.locals.user, req.ip),
        { endpoint: field(body, 'endpoint') ?? '', email: field(body, 'email') ?? '', component_ids: list(body.component_ids) },
        'admin',
      );
      // The secret is shown here, once: the list never shows it again.
      renderPage(ctx, res, 'admin/webhooks', { ...webhookData(), values: {}, created: { url: endpoint.url, secret: signingSecret } });
    },
  );
  router.post('/admin/subscribers/webhooks/:id/enable', (req, res) => {
    if (!res.locals.user) throw new Unauthorized();
    enableEndpoint(ctx, userActor(res.locals.user, req.ip), req.params.id, 'webhook');
    res.redirect(303, '/admin/subscribers/webhooks');
  });
  router.post('/admin/subscribers/webhooks/:id/delete', (req, res) => {
    if (!res.locals.user) throw new Unauthorized();
    deleteEndpoint(ctx, userActor(res.locals.user, req.ip), req.params.id, 'webhook');
    res.redirect(303, '/admin/subscribers/webhooks');
  });

  const chatData = () => {
    const byId = names();
    return {
      title: 'Chat channels',
      nav: 'chat',
      components: components(),
      services: CHAT_KINDS.map((k) => ({ value: k, label: CHAT_LABELS[k] })),
      topics: TOPICS,
      channels: listEndpoints(ctx.db, 'chat', 500).map((e) => describe(e, byId)),
    };
  };
  router.get('/admin/chat', (req, res) => {
    renderPage(ctx, res, 'admin/chat', { ...chatData(), values: { topics: [...TOPICS] }, tested: req.query.tested === '1' });
  });
  router.post('/admin/chat', form('admin/chat', chatData), async (req, res) => {
    if (!res.locals.user) throw new Unauthorized();
    const body = formBody(req);
    await createChatChannel(ctx, userActor(res.locals.user, req.ip), {
      kind: field(body, 'kind') as (typeof CHAT_KINDS)[number],
      name: field(body, 'name') ?? '',
      url: field(body, 'url') ?? '',
      component_ids: list(body.component_ids),
      topics: list(body.topics) as (typeof TOPICS)[number][],
    });
    res.redirect(303, '/admin/chat');
  });
  router.post('/admin/chat/:id/test', (req, res) => {
    if (!res.locals.user) throw new Unauthorized();
    const channel = getEndpoint(ctx.db, req.params.id, 'chat');
    auditedWrite(ctx, { action: 'chat.tested', actor: userActor(res.locals.user, req.ip) }, () => {
      enqueueEndpointTest(ctx.db, channel, ctx.clock.now());
      return { result: undefined, subject: channel.id };
    });
    ctx.bus.emit('mail.queued');
    res.redirect(303, '/admin/chat?tested=1');
  });
  router.post('/admin/chat/:id/enable', (req, res) => {
    if (!res.locals.user) throw new Unauthorized();
    enableEndpoint(ctx, userActor(res.locals.user, req.ip), req.params.id, 'chat');
    res.redirect(303, '/admin/chat');
  });
  router.post('/admin/chat/:id/delete', (req, res) => {
    if (!res.locals.user) throw new Unauthorized();
    deleteEndpoint(ctx, userActor(res.locals.user, req.ip), req.params.id, 'chat');
    res.redirect(303, '/admin/chat');
  });
  return router;
}
