import type { Request } from 'express';
import type { Context } from '../../context.js';
import { ACCOUNT_POLICY, DEVICE_POLICY, NETWORK_POLICY, type ThrottleKeys } from '../../lib/login-throttle.js';
import { HashingBusy } from '../../domain/access/passwords.js';
import { authenticate, credentialOf, type User } from '../../domain/access/users.js';
import { networkOf } from '../../lib/client-address.js';
import { trustedDevice } from '../middleware/session.js';

export type PasswordCheck =
  | { outcome: 'ok'; user: User; account: { id: string; password_hash: string } }
  | { outcome: 'wrong' }
  /** Not checked: too many attempts (or too many being checked), or the hashing queue is full. */
  | { outcome: 'refused'; retryAfterSeconds: number; reason: RefusalReason };

/** throttled: too many failures lately; checking: as many attempts as allowed are being checked; busy: the hashing queue is full. */
export type RefusalReason = 'throttled' | 'checking' | 'busy';

/**
 * One password attempt, for signing in or for confirming a sensitive action, throttled as one: per
 * account and per client network (or, from a browser that signed in to it before, per device cookie),
 * reserved before the password is hashed (lib/login-throttle.ts), and hashed within the process's bound
 * (domain/access/passwords.ts), a known browser's check first.
 */
export async function checkPassword(ctx: Context, req: Request, email: string, password: string): Promise<PasswordCheck> {
  const account = credentialOf(ctx.db, email);
  const device = trustedDevice(ctx, req, account);
  // A known browser is counted for itself alone (OWASP): neither the account's count nor its network's
  // (an attacker behind the same NAT) can lock it out; its own count bounds its guesses.
  const keys: ThrottleKeys = device
    ? [[`device:${device}`, DEVICE_POLICY]]
    : [
        [`account:${email}`, ACCOUNT_POLICY],
        [`network:${networkOf(req.ip)}`, NETWORK_POLICY],
      ];
  const reserved = await ctx.limits.reserve(keys, ctx.clock.now().getTime());
  if ('waitMs' in reserved) {
    return { outcome: 'refused', retryAfterSeconds: Math.ceil(reserved.waitMs / 1000), reason: reserved.why === 'failures' ? 'throttled' : 'checking' };
  }
  let user: User | undefined;
  try {
    user = await authenticate(ctx.db, ctx.passwords, email, password.slice(0, 200), { priority: device !== undefined });
  } catch (err) {
    ctx.limits.settle(reserved.reservation, 'cancelled');
    if (err instanceof HashingBusy) return { outcome: 'refused', retryAfterSeconds: 2, reason: 'busy' };
    throw err;
  }
  ctx.limits.settle(reserved.reservation, user ? 'succeeded' : 'failed');
  return user && account ? { outcome: 'ok', user, account } : { outcome: 'wrong' };
}

/** What the form says when an attempt was not checked. */
export function refusalMessage(check: { retryAfterSeconds: number; reason: RefusalReason }): string {
  const s = check.retryAfterSeconds;
  const wait = `Try again in ${s} second${s === 1 ? '' : 's'}.`;
  switch (check.reason) {
    case 'throttled':
      return `Too many failed attempts. ${wait}`;
    case 'checking':
      return `Other attempts from here or for this account are being checked. ${wait}`;
    case 'busy':
      return `Pharos is checking many passwords right now. ${wait}`;
  }
}
