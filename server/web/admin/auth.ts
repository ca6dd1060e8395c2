import { Router } from 'express';
import type { Context } from '../../context.js';
import { checkSetupToken, deleteSetting } from '../../domain/settings.js';
import { authenticate, countUsers, insertUser, prepareUser } from '../../domain/users.js';
import { Invalid, NotFound } from '../../errors.js';
import { requireCsrf } from '../middleware/csrf.js';
import { signIn, signOut } from '../middleware/session.js';
import { field, formBody, renderPage, safeNext } from '../respond.js';

/** First-admin setup (one-time link), login and logout. */
export function authRoutes(ctx: Context): Router {
  const router = Router();

  const setupAllowed = (token: unknown) =>
    countUsers(ctx.db) === 0 && typeof token === 'string' && checkSetupToken(ctx.db, token);

  router.get('/setup', (req, res) => {
    if (!setupAllowed(req.query.token)) throw new NotFound('This setup link is not valid (or Pharos already has an admin).');
    renderPage(ctx, res, 'admin/setup', { title: 'Set up Pharos', token: req.query.token, values: {} }, { layout: 'public' });
  });

  router.post(
    '/setup',
    (req, res, next) => {
      res.locals.form = { view: 'admin/setup', layout: 'public', data: (values) => ({ title: 'Set up Pharos', token: field(values, 'token') }) };
      next();
    },
    requireCsrf,
    async (req, res) => {
      const body = formBody(req);
      if (!setupAllowed(field(body, 'token'))) throw new NotFound('This setup link is not valid (or Pharos already has an admin).');
      if (field(body, 'password') !== field(body, 'password_confirm')) throw new Invalid({ password_confirm: 'The passwords do not match' });
      const prepared = await prepareUser(ctx.db, { email: field(body, 'email'), name: field(body, 'name'), password: field(body, 'password'), role: 'admin' });
      // Checked again and consumed in the same transaction as the insert: two submissions racing with
      // one link cannot both create an admin.
      const user = ctx.db
        .transaction(() => {
          if (!setupAllowed(field(body, 'token'))) throw new NotFound('This setup link is not valid (or Pharos already has an admin).');
          deleteSetting(ctx.db, 'setup_token_hash');
          return insertUser(ctx.db, prepared, ctx.clock.now());
        })
        .immediate();
      ctx.log.info({ user: user.email }, 'first admin account created through the setup link');
      signIn(ctx, req, res, user.id);
      res.redirect(303, '/admin');
    },
  );

  router.get('/admin/login', (req, res) => {
    if (res.locals.user) return res.redirect(303, safeNext(req.query.next));
    renderPage(ctx, res, 'admin/login', { title: 'Sign in', next: safeNext(req.query.next), values: {} }, { layout: 'public' });
  });

  router.post('/admin/login', requireCsrf, async (req, res) => {
    const body = formBody(req);
    const email = field(body, 'email') ?? '';
    const user = await authenticate(ctx.db, email.slice(0, 254), (field(body, 'password') ?? '').slice(0, 200));
    if (!user) {
      ctx.log.info({ email: email.slice(0, 254) }, 'failed login');
      renderPage(
        ctx,
        res,
        'admin/login',
        { title: 'Sign in', next: safeNext(field(body, 'next')), values: { email }, formError: 'Email or password is incorrect.' },
        { layout: 'public', status: 401 },
      );
      return;
    }
    signIn(ctx, req, res, user.id);
    ctx.log.info({ user: user.email }, 'signed in');
    res.redirect(303, safeNext(field(body, 'next')));
  });

  router.post('/admin/logout', requireCsrf, (_req, res) => {
    signOut(ctx, res);
    res.redirect(303, '/admin/login');
  });

  return router;
}
