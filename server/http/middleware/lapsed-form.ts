import { timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { Context } from '../../context.js';
import { saveForm } from '../../domain/access/saved-forms.js';
import { adminRefererPath, formBody } from '../respond.js';
import { formParser } from './body.js';

/**
 * An operator's session ended (30 minutes idle) while they typed: the form they then send is not lost.
 * It is kept for them, server-side, when it carries the CSRF token of that very session (so no other
 * site can plant a form); they are sent to sign in, and from there back to the form, shown again with
 * everything typed (`?restore=`, once). Nothing the form asked for is done until they send it again.
 */
export function lapsedForms(ctx: Context): Router {
  const router = Router();
  const parse = formParser(1024 * 1024, 2000);
  router.post(/^\/admin(\/.*)?$/, (req, res, next) => {
    const lapsed = res.locals.lapsed;
    if (res.locals.user || !lapsed || req.path === '/admin/login' || req.path === '/admin/logout') return next();
    parse(req, res, (err?: unknown) => {
      if (err) return next(err);
      const values = formBody(req);
      const sent = values._csrf;
      // The page the form says it is on (a form shown again after a refusal has the POST address as its
      // Referer, which cannot be opened), else its Referer.
      const page =
        typeof values._page === 'string' && /^\/admin(\/[\w./?=&-]*)?$/.test(values._page) && !values._page.startsWith('/admin/login')
          ? values._page
          : undefined;
      const from = page ?? adminRefererPath(ctx, req);
      if (typeof sent !== 'string' || sent.length !== lapsed.csrfToken.length || !timingSafeEqual(Buffer.from(sent), Buffer.from(lapsed.csrfToken)) || !from) {
        return next();
      }
      const id = saveForm(ctx.db, lapsed.userId, from, values, ctx.clock.now());
      res.redirect(303, `/admin/login?saved=${id}&next=${encodeURIComponent(from)}`);
    });
  });
  // Back on the form after signing in: the saved values fill it, once, when the page is rendered
  // (respond.ts renderPage): a page that fails (404, 403) leaves them saved.
  router.get(/^\/admin(\/.*)?$/, (req, res, next) => {
    const id = typeof req.query.restore === 'string' ? req.query.restore.slice(0, 64) : undefined;
    if (id && res.locals.user) res.locals.restoreId = id;
    next();
  });
  return router;
}
