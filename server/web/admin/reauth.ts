import type { Response } from 'express';
import type { Context } from '../../context.js';
import { audit } from '../../domain/audit.js';
import { Invalid, TooManyAttempts, Unauthorized } from '../../errors.js';
import { userActor } from '../locals.js';
import { field } from '../respond.js';
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
export async function confirmPassword(ctx: Context, res: Response, body: Record<string, string | string[]>): Promise<void> {
  const user = res.locals.user;
  if (!user) throw new Unauthorized();
  const password = field(body, CONFIRM_FIELD) ?? '';
  if (!password) throw new Invalid({ [CONFIRM_FIELD]: 'Enter your password to confirm' });
  const check = await checkPassword(ctx, res.req, user.email, password);
  if (check.outcome === 'refused') {
    audit(ctx.db, userActor(user), 'auth.password_confirm_throttled', user.email, { wait_seconds: check.retryAfterSeconds, reason: check.reason }, ctx.clock.now(), res.req.ip ?? '');
    throw new TooManyAttempts({ [CONFIRM_FIELD]: refusalMessage(check) }, check.retryAfterSeconds);
  }
  if (check.outcome === 'wrong' || check.user.id !== user.id) {
    (res.locals.log ?? ctx.log).warn({ user: user.id }, 'password confirmation failed');
    audit(ctx.db, userActor(user), 'auth.password_confirm_failed', user.email, '', ctx.clock.now(), res.req.ip ?? '');
    throw new Invalid({ [CONFIRM_FIELD]: 'That is not your password' });
  }
}
