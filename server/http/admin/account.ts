import { Router, type Response } from 'express';
import { actorOf } from '../locals.js';
import type { Context } from '../../context.js';
import { endOtherSessions, listSessions } from '../../domain/access/sessions.js';
import { Unauthorized } from '../../errors.js';
import { renderPage } from '../respond.js';

/** The signed-in operator's own account: their sessions, and "sign out my other sessions". */
export function accountRoutes(ctx: Context): Router {
  const router = Router();
  const page = (res: Response, ended?: number) => {
    const { user, sessionId } = res.locals;
    if (!user || !sessionId) throw new Unauthorized();
    renderPage(ctx, res, 'admin/account', {
      title: 'Your account',
      nav: 'account',
      sessions: listSessions(ctx.db, ctx.secret, user.id, sessionId, ctx.clock.now()),
      ended,
    });
  };
  router.get('/admin/account', (_req, res) => page(res));
  // Pinged by public/js/admin-keepalive.js while an operator types in a form: the request itself slides
  // the session's idle timeout (middleware/session.ts), so a long message is not cut off at 30 minutes.
  router.get('/admin/keepalive', (_req, res) => {
    res.set('Cache-Control', 'no-store').status(204).end();
  });
  router.post('/admin/account/sign-out-others', (_req, res) => {
    const { user, sessionId } = res.locals;
    if (!user || !sessionId) throw new Unauthorized();
    const ended = endOtherSessions(ctx, actorOf(res), user, sessionId);
    (res.locals.log ?? ctx.log).info({ user: user.id, ended }, 'other sessions ended');
    page(res, ended);
  });
  return router;
}
