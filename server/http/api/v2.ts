import { Router, type Request } from 'express';
import type { Context } from '../../context.js';
import { admits, getGate } from '../../domain/subscribers/gate.js';
import { createWebhook } from '../../domain/subscribers/endpoints.js';
import { Invalid, NotFound } from '../../errors.js';
import { formParser, jsonParser } from '../middleware/body.js';
import { countSignup, gateRefusal, publicSignup } from '../public/signup.js';
import { verifyWebhook } from '../../outbox/hooks/verify.js';

/** `subscriber[email]`, `subscriber[component_ids][]`…: Statuspage's form fields, read from a flat form or a JSON envelope. */
function subscriberFields(req: Request): { email: string; endpoint?: string; components: string[] } {
  const body: unknown = req.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Invalid({ subscriber: 'Send subscriber[email] (or subscriber[endpoint])' });
  const b = body as Record<string, unknown>;
  const inner = b.subscriber && typeof b.subscriber === 'object' && !Array.isArray(b.subscriber) ? (b.subscriber as Record<string, unknown>) : undefined;
  const get = (name: string): unknown => (inner ? inner[name] : (b[`subscriber[${name}]`] ?? b[`subscriber[${name}][]`]));
  const one = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '');
  const many = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);
  const endpoint = get('endpoint');
  return { email: one(get('email')), ...(endpoint !== undefined ? { endpoint: one(endpoint) } : {}), components: many(get('component_ids')) };
}

/**
 * Statuspage-compatible public API. Its documents are the snapshot's (http/public/documents.ts and the
 * fast path serve them); here is what is not a document: `POST /api/v2/subscribers.json`, a sign-up by
 * email (the same double opt-in, gate, limits and answer as the form, so it tells nobody who is
 * subscribed) or a webhook to a public address; and a JSON 404 for the rest, with CORS as the rest.
 */
export function v2SubscriberRoutes(ctx: Context): Router {
  const router = Router();
  router.use('/api/v2/subscribers.json', (_req, res, next) => {
    res.set('Access-Control-Allow-Origin', '*');
    next();
  });
  router.options('/api/v2/subscribers.json', (_req, res) => {
    res.set({ 'Access-Control-Allow-Methods': 'POST', 'Access-Control-Allow-Headers': 'Content-Type', 'Access-Control-Max-Age': '86400' }).status(204).end();
  });
  router.post('/api/v2/subscribers.json', jsonParser(16 * 1024), formParser(16 * 1024, 600), async (req, res) => {
    const input = subscriberFields(req);
    const within = (err: unknown) => (err instanceof Invalid ? err.within('subscriber.') : err);
    if (input.endpoint !== undefined) {
      // The same limit per network as sign-ups by email, and the gate: paused refuses, restricted wants an allowed email.
      await countSignup(ctx, req.ip);
      const verdict = admits(getGate(ctx.db), input.email);
      if (verdict !== 'ok') throw gateRefusal(verdict);
      const { endpoint, signingSecret } = await createWebhook(
        ctx,
        { type: 'anonymous', ip: req.ip },
        { endpoint: input.endpoint, email: input.email, component_ids: input.components },
        'public',
        verifyWebhook(ctx),
      ).catch((err: unknown) => {
        throw within(err);
      });
      res.status(201).json({
        subscriber: {
          id: endpoint.id,
          mode: 'webhook',
          endpoint: endpoint.url,
          email: endpoint.email,
          components: input.components,
          created_at: endpoint.created_at,
          signing_secret: signingSecret,
        },
      });
      return;
    }
    let outcome;
    try {
      outcome = await publicSignup(ctx, req.ip, { email: input.email, all: input.components.length === 0, components: input.components });
    } catch (err) {
      throw within(err);
    }
    if (outcome.refused) throw gateRefusal(outcome.refused);
    // The same answer whether the address is new, pending or already subscribed.
    res.status(202).json({
      subscriber: {
        mode: 'email',
        email: input.email.trim().toLowerCase(),
        confirmation: 'If the address can be subscribed, a confirmation link has been sent to it.',
      },
    });
  });
  return router;
}

/** What reaches here under /api/v2 is no endpoint of it: a JSON 404, with CORS as the rest. */
export function v2Routes(_ctx: Context): Router {
  const router = Router();
  router.use((_req, res) => {
    res.set('Access-Control-Allow-Origin', '*');
    throw new NotFound('No such endpoint');
  });
  return router;
}
