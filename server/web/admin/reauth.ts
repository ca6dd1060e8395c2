import type { Response } from 'express';
import type { Context } from '../../context.js';
import { audit } from '../../domain/audit.js';
import { authenticate } from '../../domain/users.js';
import { userActor } from '../locals.js';
import { Invalid, Unauthorized } from '../../errors.js';
import { field } from '../respond.js';

/** The field the sensitive forms carry (not "password": the users page also has a new user's password). */
export const CONFIRM_FIELD = 'confirm_password';

/**
 * Sensitive actions (deleting an incident, changing a role, creating an API key, exporting subscribers)
 * ask for the operator's password again, as OWASP ASVS 2 asks: a session left open, or stolen, is not
 * enough. A wrong or missing password re-renders the form with a message and changes nothing.
 */
export async function confirmPassword(ctx: Context, res: Response, body: Record<string, string | string[]>): Promise<void> {
  const user = res.locals.user;
  if (!user) throw new Unauthorized();
  const password = field(body, CONFIRM_FIELD) ?? '';
  if (!password) throw new Invalid({ [CONFIRM_FIELD]: 'Enter your password to confirm' });
  if (!(await authenticate(ctx.db, user.email, password))) {
    (res.locals.log ?? ctx.log).warn({ user: user.id }, 'password confirmation failed');
    audit(ctx.db, userActor(user), 'auth.password_confirm_failed', user.email, '', ctx.clock.now(), res.req.ip ?? '');
    throw new Invalid({ [CONFIRM_FIELD]: 'That is not your password' });
  }
}
