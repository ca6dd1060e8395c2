import type { RequestHandler } from 'express';
import type { Context } from '../../context.js';
import { findApiKey } from '../../domain/access/api-keys.js';
import { Forbidden, NotFound, Unauthorized } from '../../errors.js';

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

/** `Authorization: OAuth <key>` (Statuspage's form) or `Bearer <key>`; and the page id must be ours. */
export function requireApiKey(ctx: Context): RequestHandler {
  return (req, res, next) => {
    const match = /^(?:OAuth|Bearer)\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match?.[1]) return next(new Unauthorized('Send an API key as "Authorization: OAuth <key>" or "Bearer <key>"'));
    const key = findApiKey(ctx.db, match[1], ctx.clock.now());
    if (!key) return next(new Unauthorized('Unknown or revoked API key'));
    if (req.params.page_id !== ctx.pageId) return next(new NotFound('No such page'));
    res.locals.apiActor = { type: 'api_key', id: key.id, name: key.name, ...(req.ip ? { ip: req.ip } : {}) };
    next();
  };
}
