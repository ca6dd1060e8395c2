import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Context } from '../../context.js';
import type { Actor } from '../../domain/access/actors.js';
import { createWebhook, deleteEndpoint, endpointComponents, findEndpoint, type Endpoint } from '../../domain/subscribers/endpoints.js';
import { addSubscriber } from '../../domain/subscribers/import-export.js';
import { findSubscriber, subscriberComponents, type Subscriber } from '../../domain/subscribers/subscribers.js';
import { listSubscribers, removeSubscriber, type Listed } from '../../domain/subscribers/subscriber-list.js';
import { Invalid, NotFound, Unauthorized } from '../../errors.js';

/** Statuspage's v1 subscriber: `mode` says which kind; a webhook's `email` is where its failures are reported. */
function emailShape(db: Context['db'], s: Subscriber) {
  return {
    id: s.id,
    mode: 'email',
    email: s.email,
    endpoint: null,
    skip_confirmation_notification: s.state === 'confirmed' && s.source === 'import',
    quarantined_at: s.state === 'bounced' ? s.updated_at : null,
    purge_at: null,
    components: s.all_components ? [] : subscriberComponents(db, s.id),
    state: s.state,
    created_at: s.created_at,
  };
}

export function webhookShape(db: Context['db'], e: Endpoint) {
  return {
    id: e.id,
    mode: 'webhook',
    email: e.email,
    endpoint: e.url,
    skip_confirmation_notification: true,
    quarantined_at: e.disabled_at,
    purge_at: null,
    components: e.all_components ? [] : endpointComponents(db, e.id),
    state: e.state,
    created_at: e.created_at,
  };
}

/**
 * A Slack channel as Statuspage shows a Slack subscriber: its channel's name obfuscated, never its
 * incoming-webhook address (whoever holds that can post to the channel).
 */
export function slackShape(db: Context['db'], e: Endpoint) {
  const name = e.name.replace(/^#/, '');
  return {
    id: e.id,
    mode: 'slack',
    obfuscated_channel_name: `#${name.slice(0, 2)}${'*'.repeat(Math.max(1, name.length - 3))}${name.length > 3 ? name.slice(-1) : ''}`,
    workspace_name: null,
    skip_confirmation_notification: true,
    quarantined_at: e.disabled_at,
    purge_at: null,
    components: e.all_components ? [] : endpointComponents(db, e.id),
    state: e.state,
    created_at: e.created_at,
  };
}

function shapeOf(db: Context['db'], listed: Listed) {
  switch (listed.type) {
    case 'email':
      return emailShape(db, listed.row);
    case 'webhook':
      return webhookShape(db, listed.row);
    case 'slack':
      return slackShape(db, listed.row);
  }
}

/** What a form's text stands for in a subscriber (`subscriber[skip_confirmation_notification]=true`, `subscriber[component_ids][]=ID`). */
const FORM_TYPES = z.object({ skip_confirmation_notification: z.boolean(), component_ids: z.array(z.string()) });

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Runs a write whose field errors should name fields inside the envelope ("endpoint" is "subscriber.endpoint"). */
async function inEnvelope<T>(write: () => Promise<T> | T): Promise<T> {
  try {
    return await write();
  } catch (err) {
    throw err instanceof Invalid ? err.within('subscriber.') : err;
  }
}

/**
 * The v1 subscribers endpoints (`/api/v1/pages/:page_id/subscribers`), mounted on the v1 page router
 * behind its API key: list (Statuspage's query: every type unless `type`, `state`, `q`, `limit`, `page`
 * from 0, `sort_field`, `sort_direction`; domain/subscribers/subscriber-list.ts), read and remove any
 * listed subscriber (email, webhook or Slack channel), create (an `endpoint` makes a
 * webhook, whose answer carries its `signing_secret` once; else an email subscriber, confirmed by mail
 * unless `skip_confirmation_notification`), remove.
 */
export function subscriberApi(
  ctx: Context,
  envelope: (req: Request, key: string, schema?: z.ZodTypeAny) => Record<string, unknown>,
  actor: (res: Response) => Actor,
): Router {
  const router = Router();
  router.get('/subscribers', (req, res) => {
    const q = req.query;
    const listed = listSubscribers(ctx, actor(res), {
      type: q.type,
      state: q.state,
      q: q.q,
      limit: q.limit,
      page: q.page,
      sort_field: q.sort_field,
      sort_direction: q.sort_direction,
    });
    res.json(listed.map((l) => shapeOf(ctx.db, l)));
  });
  router.post('/subscribers', async (req, res) => {
    const body = envelope(req, 'subscriber', FORM_TYPES);
    const components = strings(body.component_ids);
    if (body.endpoint !== undefined) {
      const { endpoint, signingSecret } = await inEnvelope(() =>
        createWebhook(ctx, actor(res), { endpoint: text(body.endpoint), email: text(body.email), component_ids: components }, 'api'),
      );
      res.status(201).json({ ...webhookShape(ctx.db, endpoint), signing_secret: signingSecret });
      return;
    }
    const sub = await inEnvelope(() => addSubscriber(ctx, actor(res), { email: text(body.email), components }, body.skip_confirmation_notification === true));
    res.status(201).json(emailShape(ctx.db, sub));
  });
  router.get('/subscribers/:id', (req, res) => {
    const e = findEndpoint(ctx.db, req.params.id);
    if (e?.kind === 'webhook') return void res.json(webhookShape(ctx.db, e));
    if (e?.kind === 'slack') return void res.json(slackShape(ctx.db, e));
    const s = findSubscriber(ctx.db, req.params.id);
    if (!s) throw new NotFound('No such subscriber');
    res.json(emailShape(ctx.db, s));
  });
  router.delete('/subscribers/:id', (req, res) => {
    if (!res.locals.apiActor) throw new Unauthorized();
    const e = findEndpoint(ctx.db, req.params.id);
    if (e?.kind === 'webhook') {
      const shape = webhookShape(ctx.db, e);
      deleteEndpoint(ctx, actor(res), e.id, 'webhook');
      return void res.json(shape);
    }
    if (e?.kind === 'slack') {
      const shape = slackShape(ctx.db, e);
      deleteEndpoint(ctx, actor(res), e.id, 'chat');
      return void res.json(shape);
    }
    const s = findSubscriber(ctx.db, req.params.id);
    if (!s) throw new NotFound('No such subscriber');
    const shape = emailShape(ctx.db, s);
    removeSubscriber(ctx, actor(res), s.id);
    res.json(shape);
  });
  return router;
}
