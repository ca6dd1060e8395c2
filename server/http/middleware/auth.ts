import type { Request, RequestHandler } from 'express';
import type { Context } from '../../context.js';
import { findApiKey } from '../../domain/access/api-keys.js';
import { Forbidden, HttpError, NotFound, Unauthorized } from '../../errors.js';

/** Signed-in operators only: a browser asking for a page is sent to the login form. */
export const requireUser: RequestHandler = (req, res, next) => {
  if (res.locals.user) return next();
  if (req.method === 'GET' || req.method === 'HEAD') {
    return res.redirect(303, `/admin/login?next=${encodeURIComponent(req.originalUrl)}`);
  }
  next(new Unauthorized('Sign in first'));
};

/** Admins only: operators post incidents; admins manage components, users, API keys and settings. */
export const requireAdmin: RequestHandler = (_req, res, next) => {
  if (!res.locals.user) return next(new Unauthorized('Sign in first'));
  if (res.locals.user.role !== 'admin') return next(new Forbidden('Only admins can do this'));
  next();
};

const KEY_WANTED = 'Could not authenticate: send an API key as "Authorization: OAuth <key>", "Authorization: Bearer <key>" or ?api_key=<key>';

/** The key a request presents: `Authorization: OAuth <key>` (Statuspage's form), `Bearer <key>`, or `?api_key=<key>`. */
function presentedKey(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) return /^(?:OAuth|Bearer)\s+(\S+)\s*$/i.exec(header)?.[1];
  const query: unknown = req.query.api_key;
  return typeof query === 'string' && query !== '' ? query : undefined;
}

/**
 * The management API's key, from the headers or the query string (never logged: the request log and
 * the audit log record paths without their query); and the page id, when the path names one, must be ours.
 * Each key has a budget per rolling minute, counted by every process together (lib/limits.ts): the
 * API's (API_RATE_LIMIT; over it, 429 with Retry-After) or, for the alert receivers, a larger one of
 * their own (ALERT_RATE_LIMIT; over it, 503, which Alertmanager and Grafana retry: the storm waits at
 * the sender instead of being dropped).
 */
export function requireApiKey(ctx: Context, budget: 'api' | 'alerts' = 'api'): RequestHandler {
  return async (req, res, next) => {
    const presented = presentedKey(req);
    if (!presented) return next(new Unauthorized(KEY_WANTED));
    const key = findApiKey(ctx.db, presented, ctx.clock.now());
    if (!key) return next(new Unauthorized('Could not authenticate: unknown or revoked API key'));
    if (req.params.page_id !== undefined && req.params.page_id !== ctx.pageId) return next(new NotFound('No such page'));
    const [window, limit] =
      budget === 'alerts' ? (['alert-requests', ctx.config.alertRateLimit] as const) : (['api-requests', ctx.config.apiRateLimit] as const);
    // One step: a burst of requests sent together cannot all pass between a count and a record. Only
    // what is let through is counted: a client steadily over the budget still gets its share.
    const taken = await ctx.limits.take(window, key.id, limit, ctx.clock.now().getTime());
    if (!taken.taken) {
      const err =
        budget === 'alerts'
          ? new HttpError(503, 'rate_limited', `More than ${limit} alert notifications a minute from this key: retry later`)
          : new HttpError(429, 'rate_limited', `More than ${limit} requests a minute with this key: slow down`);
      err.retryAfterSeconds = Math.ceil(taken.retryAfterMs / 1000);
      return next(err);
    }
    res.locals.apiActor = { type: 'api_key', id: key.id, name: key.name, ...(req.ip ? { ip: req.ip } : {}) };
    next();
  };
}
