import { Router, type RequestHandler, type Response } from 'express';
import type { Context } from '../../context.js';
import { audit } from '../../domain/access/audit.js';
import { Invalid, TooManyAttempts, Unauthorized } from '../../errors.js';
import { networkOf } from '../../lib/client-address.js';
import { userActor } from '../locals.js';
import { markConfirmed, recentlyConfirmed } from '../../domain/access/sessions.js';
import { field, formBody, renderPage, safeNext } from '../respond.js';
import { form } from '../middleware/form.js';
import { checkPassword, refusalMessage } from './password-check.js';

/** The field the sensitive forms carry (not "password": the users page also has a new user's password). */
export const CONFIRM_FIELD = 'confirm_password';

/**
 * Sensitive actions ask for the operator's password again, as OWASP ASVS 2 asks: a session left open,
 * or stolen, is not enough. The list: creating and deleting users, changing a role, creating and
 * revoking API keys, exporting subscribers, changing who may subscribe, deleting an incident. A wrong
 * or missing password re-renders the form with a message and changes nothing; confirmations are
 * throttled together with sign-ins (password-check.ts), so a stolen session cannot guess it either.
 */
export async function confirmPassword(
  ctx: Context,
  res: Response,
  body: Record<string, string | string[]>,
  /** What is wrong with the rest of the form (lib/validate.ts problemsIn): refused with the password's own problem, all at once. */
  problems: Record<string, string> = {},
): Promise<void> {
  const user = res.locals.user;
  if (!user) throw new Unauthorized();
  const password = field(body, CONFIRM_FIELD) ?? '';
  if (!password) throw new Invalid({ ...problems, [CONFIRM_FIELD]: 'Enter your password to confirm' });
  // Checked even when the rest of the form is wrong: it is the attempt the operator would make next anyway.
  const check = await checkPassword(ctx, res.req, user.email, password);
  if (check.outcome === 'refused') {
    // Refused without a check, as fast as a stolen session can send them: tallied per minute, not a row each.
    ctx.refusals.count('auth.password_confirm_throttled', user.email, { reasons: check.reason, networks: networkOf(res.req.ip) }, userActor(user, res.req.ip));
    throw new TooManyAttempts({ [CONFIRM_FIELD]: refusalMessage(check), ...problems }, check.retryAfterSeconds);
  }
  if (check.outcome === 'wrong') {
    (res.locals.log ?? ctx.log).warn({ user: user.id }, 'password confirmation failed');
    audit(ctx.db, userActor(user), 'auth.password_confirm_failed', user.email, '', ctx.clock.now(), res.req.ip ?? '');
    throw new Invalid({ ...problems, [CONFIRM_FIELD]: 'That is not your password' });
  }
  if (res.locals.sessionId) markConfirmed(ctx.db, ctx.secret, res.locals.sessionId, ctx.clock.now());
  if (Object.keys(problems).length > 0) throw new Invalid(problems);
}

/**
 * Lists of personal data (every subscriber's address, every delivery's recipient, the audit log as a
 * file) are an export by another name: they open only within 10 minutes of typing the password again.
 * Otherwise the page asks for it, and comes back once it is given.
 */
export const requireRecentConfirmation =
  (ctx: Context): RequestHandler =>
  (req, res, next) => {
    const sid = res.locals.sessionId;
    if (sid && recentlyConfirmed(ctx.db, ctx.secret, sid, ctx.clock.now())) return next();
    renderPage(ctx, res, 'admin/confirm-access', { title: 'Confirm it is you', next: req.originalUrl, values: {} }, { status: 403 });
  };

/** The form of requireRecentConfirmation's page: the password, then back where the admin was going. */
export function confirmAccessRoutes(ctx: Context): Router {
  const router = Router();
  router.post(
    '/admin/confirm',
    form('admin/confirm-access', (values) => ({ title: 'Confirm it is you', next: safeNext(values.next) })),
    async (req, res) => {
      const body = formBody(req);
      await confirmPassword(ctx, res, body);
      res.redirect(303, safeNext(field(body, 'next')));
    },
  );
  return router;
}
