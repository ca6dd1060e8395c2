import { savedFormPath } from '../../domain/access/saved-forms.js';
import { createHmac } from 'node:crypto';
import { Router, type Response } from 'express';
import type { Context } from '../../context.js';
import { checkSetupToken, deleteSetting } from '../../domain/page/settings.js';
import { audit } from '../../domain/access/audit.js';
import { auditedWrite } from '../../domain/write-path.js';
import { countUsers, credentialOf, insertUser, newUserInput, prepareUser } from '../../domain/access/users.js';
import { Invalid, NotFound } from '../../errors.js';
import { requireCsrf } from '../middleware/csrf.js';
import { issueDevice, signIn, signOut } from '../middleware/session.js';
import { checkPassword, refusalMessage } from './password-check.js';
import { networkOf } from '../../lib/client-address.js';
import { userActor } from '../locals.js';
import { field, formBody, renderPage, safeNext } from '../respond.js';
import { parseInput, problemsIn } from '../../lib/validate.js';

/** Stands for an address typed at a failed sign-in, in the logs and the audit log: attempts on one can be told apart. */
const accountTag = (secret: string, email: string) => createHmac('sha256', secret).update(`log:${email}`).digest('base64url').slice(0, 12);

/** First-admin setup (one-time link), login and logout. */
export function authRoutes(ctx: Context): Router {
  const router = Router();

  const setupAllowed = (token: unknown) => countUsers(ctx.db) === 0 && typeof token === 'string' && checkSetupToken(ctx.db, token);

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
      const input = { email: field(body, 'email'), name: field(body, 'name'), password: field(body, 'password'), role: 'admin' };
      // Every problem at once (a short password that does not match either is told both).
      const problems = problemsIn(newUserInput, input);
      if (field(body, 'password') !== field(body, 'password_confirm')) problems.password_confirm = 'The passwords do not match';
      if (Object.keys(problems).length > 0) throw new Invalid(problems);
      const prepared = await prepareUser(ctx.db, ctx.passwords, parseInput(newUserInput, input));
      // Checked again and consumed in the same transaction as the insert and its audit row: two
      // submissions racing with one link cannot both create an admin.
      const someone = { type: 'anonymous' as const, ...(req.ip ? { ip: req.ip } : {}) };
      const user = auditedWrite(ctx, { action: 'auth.first_admin_created', actor: someone }, () => {
        if (!setupAllowed(field(body, 'token'))) throw new NotFound('This setup link is not valid (or Pharos already has an admin).');
        deleteSetting(ctx.db, 'setup_token_hash');
        const created = insertUser(ctx.db, prepared, ctx.clock.now());
        return { result: created, subject: created.email, detail: { through: 'the setup link' } };
      });
      ctx.log.info({ user: user.id }, 'first admin account created through the setup link');
      signIn(ctx, req, res, user.id);
      res.redirect(303, '/admin');
    },
  );

  router.get('/admin/login', (req, res) => {
    if (res.locals.user) return res.redirect(303, safeNext(req.query.next));
    const saved = typeof req.query.saved === 'string' ? req.query.saved.slice(0, 64) : undefined;
    renderPage(ctx, res, 'admin/login', { title: 'Sign in', next: safeNext(req.query.next), saved, values: {} }, { layout: 'public' });
  });

  // Throttled per account typed and per client network, or per device cookie (password-check.ts); the
  // same answer whether the account exists or not; every decision in the audit log.
  const loginPage = (res: Response, body: Record<string, string | string[]>, status: number, formError: string) =>
    renderPage(
      ctx,
      res,
      'admin/login',
      { title: 'Sign in', next: safeNext(field(body, 'next')), saved: field(body, 'saved'), values: { email: field(body, 'email') ?? '' }, formError },
      { layout: 'public', status },
    );

  router.post('/admin/login', requireCsrf, async (req, res) => {
    const body = formBody(req);
    const email = (field(body, 'email') ?? '').trim().toLowerCase().slice(0, 254);
    const ip = req.ip ?? '';
    const check = await checkPassword(ctx, req, email, field(body, 'password') ?? '');
    const now = ctx.clock.now();
    // Failed and refused attempts come in floods from clients not signed in: tallied per network and
    // minute, as other anonymous refusals. An address that is an account's is named (an admin wants to
    // know which account is attacked); anything else typed is not stored (it may be a password typed in
    // the wrong field): a keyed hash stands for it, in the audit log as in the logs.
    const tried = () => (credentialOf(ctx.db, email) ? email : `unknown account ${accountTag(ctx.secret, email)}`);
    if (check.outcome === 'refused') {
      ctx.refusals.count('auth.login_throttled', networkOf(ip), { accounts: tried(), reasons: check.reason });
      res.set('Retry-After', String(check.retryAfterSeconds));
      loginPage(res, body, 429, refusalMessage(check));
      return;
    }
    if (check.outcome === 'wrong') {
      ctx.refusals.count('auth.login_failed', networkOf(ip), { accounts: tried() });
      (res.locals.log ?? ctx.log).info({ account: accountTag(ctx.secret, email) }, 'failed login');
      loginPage(res, body, 401, 'Email or password is incorrect.');
      return;
    }
    const { user } = check;
    signIn(ctx, req, res, user.id);
    issueDevice(ctx, res, check.account);
    audit(ctx.db, userActor(user), 'auth.signed_in', user.email, '', now, ip);
    (res.locals.log ?? ctx.log).info({ user: user.id }, 'signed in');
    // Back to a form kept when the session ended, if it is this user's; else where they were going.
    const saved = field(body, 'saved');
    const form = saved ? savedFormPath(ctx.db, saved, user.id) : undefined;
    res.redirect(303, form ? `${form}${form.includes('?') ? '&' : '?'}restore=${encodeURIComponent(saved ?? '')}` : safeNext(field(body, 'next')));
  });

  router.post('/admin/logout', requireCsrf, (req, res) => {
    if (res.locals.user) audit(ctx.db, userActor(res.locals.user), 'auth.signed_out', res.locals.user.email, '', ctx.clock.now(), req.ip ?? '');
    signOut(ctx, res);
    res.redirect(303, '/admin/login');
  });

  return router;
}
