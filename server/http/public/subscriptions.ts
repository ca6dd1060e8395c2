import { getBranding } from '../../domain/page/branding.js';
import { Router } from 'express';
import { formParser } from '../middleware/body.js';
import type { Context } from '../../context.js';
import { orderedComponents, pageLayout } from '../../domain/page/order.js';
import { getGate } from '../../domain/subscribers/gate.js';
import { publicSignup, tooMany } from './signup.js';
import { confirmationOf, confirmSubscription, linkOf, subscriberComponents, unsubscribe, updateChoice } from '../../domain/subscribers/subscribers.js';
import { HttpError, NotFound } from '../../errors.js';
import { findIncident } from '../../domain/incidents/queries.js';
import { form } from '../middleware/form.js';
import { networkOf } from '../../lib/client-address.js';
import { knownLink, LINK_PATHS } from './link-check.js';
import { field, formBody, renderPage } from '../respond.js';

/** Wrong subscriber-link tokens from one network in 10 minutes before its token requests get a 429. */
const WRONG_TOKEN_LIMIT = 30;
/** Changes through one subscriber's manage link in 10 minutes. */
const MANAGE_LIMIT = 20;

/** Checkbox lists arrive as one string or several. */
function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function choiceFrom(body: Record<string, string | string[]>) {
  return { all: field(body, 'scope') !== 'some', components: list(body.components) };
}

/** A link that is not ours (or no longer can be told from a guess), or one revoked by an unsubscribe since. */
function linkGone(status: 404 | 410 = 404): HttpError {
  const err =
    status === 410
      ? new HttpError(
          410,
          'link_no_longer_valid',
          'This link is no longer valid: the address was unsubscribed after it was sent, which ends every link sent before.',
        )
      : new HttpError(404, 'link_not_valid', 'This link is not valid any more. It may have expired, or the address was unsubscribed since.');
  err.nextStep = { href: '/subscribe', label: 'Subscribe again' };
  return err;
}

/** Subscribing by email (double opt-in), confirming, managing and one-click unsubscribing (RFC 8058). */
export function subscriptionRoutes(ctx: Context): Router {
  const router = Router();
  // Subscriber links carry unguessable tokens; a network that keeps presenting wrong ones is guessing.
  // A wrong link takes a token of its network's limit; a right one takes none (one-click unsubscribes
  // from a mail provider's few addresses, hundreds at once, must all work) but is refused too once the
  // network is over the limit, so that past it a guess learns nothing. The link is checked first (the
  // HMAC and one row), and whether it passes is decided in one step with the tokens of every process of
  // a cluster (lib/limits.ts): a burst of guesses gets exactly the limit through.
  router.use(LINK_PATHS, async (req, _res, next) => {
    // req.baseUrl: the link's path as matched (in a use() handler req.path is what follows it).
    const known = knownLink(ctx, req.baseUrl);
    const taken = await ctx.limits.take('wrong-tokens', networkOf(req.ip), WRONG_TOKEN_LIMIT, ctx.clock.now().getTime(), known ? 0 : 1);
    if (!taken.taken) throw tooMany('Too many invalid links from your network. Please try again in a few minutes.', taken.retryAfterMs);
    next();
  });
  const parse = formParser(64 * 1024, 1000);
  const components = () => orderedComponents(pageLayout(ctx.db));
  const formData = () => ({ title: 'Subscribe to updates', components: components(), gate: getGate(ctx.db) });

  router.post('/subscribe', parse, form('public/subscribe', formData, 'public'), async (req, res) => {
    const body = formBody(req);
    const outcome = await publicSignup(ctx, req.ip, { email: field(body, 'email') ?? '', ...choiceFrom(body) });
    if (outcome.refused) {
      renderPage(ctx, res, 'public/subscribe', { ...formData(), values: body, refused: outcome.refused }, { layout: 'public' });
      return;
    }
    // The same answer whether the address is new, pending or already subscribed.
    renderPage(ctx, res, 'public/subscribe-sent', { title: 'Check your inbox', slowed: outcome.slowed }, { layout: 'public' });
  });

  // "Follow this incident": the same sign-up, for one incident or maintenance window.
  const followData = (id: string) => () => {
    const incident = findIncident(ctx.db, id);
    if (!incident) throw new NotFound('No such incident');
    return { title: `Follow: ${incident.name}`, incident, gate: getGate(ctx.db) };
  };
  router.post('/incidents/:id/follow', parse, async (req, res) => {
    const id = String(req.params.id);
    const data = followData(id);
    res.locals.form = { view: 'public/follow', data, layout: 'public' };
    data();
    const body = formBody(req);
    const outcome = await publicSignup(ctx, req.ip, { email: field(body, 'email') ?? '', all: true, components: [] }, id);
    if (outcome.refused) {
      renderPage(ctx, res, 'public/follow', { ...data(), values: body, refused: outcome.refused }, { layout: 'public' });
      return;
    }
    renderPage(ctx, res, 'public/subscribe-sent', { title: 'Check your inbox', slowed: outcome.slowed }, { layout: 'public' });
  });

  // Mail scanners follow links: a GET only shows the button, the POST confirms. A second click on a used
  // link says so (200) rather than "not found".
  const alreadyConfirmed = (email: string) => ({
    title: 'Already confirmed',
    heading: 'Already confirmed',
    message: `${email} is subscribed already. Every email from ${getBranding(ctx.db, ctx.config).pageName} has a link to change or cancel this.`,
  });
  router.get('/subscriptions/confirm/:token', (req, res) => {
    const found = confirmationOf(ctx, req.params.token);
    if (!found) throw linkGone();
    if (found.state === 'confirmed') {
      renderPage(ctx, res, 'public/subscription-message', alreadyConfirmed(found.sub.email), { layout: 'public' });
      return;
    }
    renderPage(ctx, res, 'public/confirm', { title: 'Confirm your subscription', email: found.sub.email, token: req.params.token }, { layout: 'public' });
  });
  router.post('/subscriptions/confirm/:token', (req, res) => {
    const done = confirmSubscription(ctx, req.params.token);
    if (!done) throw linkGone();
    const page =
      done.state === 'already'
        ? alreadyConfirmed(done.sub.email)
        : {
            title: 'Subscription confirmed',
            heading: 'You are subscribed',
            message:
              done.sub.scope === 'incidents'
                ? `${done.sub.email} will get an email at each update of what it follows on ${getBranding(ctx.db, ctx.config).pageName}. Every email has a link to stop.`
                : `${done.sub.email} will receive incident updates and official notices from ${getBranding(ctx.db, ctx.config).pageName}. Every email has a link to change or cancel this.`,
          };
    renderPage(ctx, res, 'public/subscription-message', page, { layout: 'public' });
  });

  /** The subscriber of a current manage/unsubscribe link; a revoked one answers 410, an unknown one 404. */
  const linked = (token: string) => {
    const link = linkOf(ctx, token);
    if (!link) throw linkGone();
    if (link.state === 'stale') throw linkGone(410);
    return link.sub;
  };

  // The token is read when the route runs: the error handler that may call this later sees no params.
  const manageData = (token: string) => () => ({ title: 'Your subscription', subscriber: linked(token), token, components: components() });
  router.get('/subscriptions/manage/:token', (req, res) => {
    const data = manageData(req.params.token)();
    const chosen = subscriberComponents(ctx.db, data.subscriber.id);
    renderPage(
      ctx,
      res,
      'public/manage',
      {
        ...data,
        values: { scope: data.subscriber.all_components ? 'all' : 'some', components: chosen },
      },
      { layout: 'public' },
    );
  });
  router.post(
    '/subscriptions/manage/:token',
    parse,
    (req, res, next) => form('public/manage', manageData(String(req.params.token)), 'public')(req, res, next),
    async (req, res) => {
      const data = manageData(String(req.params.token))();
      // A valid link too: a person changes their choice a few times, a script hammering it does not.
      const taken = await ctx.limits.take('manage-changes', data.subscriber.id, MANAGE_LIMIT, ctx.clock.now().getTime());
      if (!taken.taken) throw tooMany('Too many changes in a short time. Please try again in a few minutes.', taken.retryAfterMs);
      updateChoice(ctx, data.subscriber, choiceFrom(formBody(req)));
      const body = formBody(req);
      renderPage(
        ctx,
        res,
        'public/manage',
        { ...data, values: { scope: field(body, 'scope'), components: list(body.components) }, saved: true },
        { layout: 'public' },
      );
    },
  );

  // RFC 8058: a GET only shows a button (mail scanners follow links); a POST, with or without a body,
  // cookie or CSRF token, unsubscribes at once and answers 200, never a redirect.
  router.get('/unsubscribe/:token', (req, res) => {
    const sub = linked(req.params.token);
    renderPage(ctx, res, 'public/unsubscribe', { title: 'Unsubscribe', subscriber: sub, token: req.params.token }, { layout: 'public' });
  });
  router.post('/unsubscribe/:token', (req, res) => {
    // A repeated one-click unsubscribe (a mail provider retrying, a second click) of an address that is
    // unsubscribed already is answered as the first was; an old link never unsubscribes a new subscription.
    const link = linkOf(ctx, req.params.token);
    if (!link) throw linkGone();
    if (link.state === 'stale' && link.sub.state !== 'unsubscribed') throw linkGone(410);
    const sub = link.sub;
    if (link.state === 'current') unsubscribe(ctx, sub);
    renderPage(
      ctx,
      res,
      'public/subscription-message',
      {
        title: 'Unsubscribed',
        heading: 'You are unsubscribed',
        message: `${sub.email} will not receive any more email from ${getBranding(ctx.db, ctx.config).pageName}.`,
      },
      { layout: 'public' },
    );
  });

  return router;
}
