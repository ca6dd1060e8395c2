import type { Context } from '../../context.js';
import { admits, closeGateAutomatically, getGate } from '../../domain/subscribers/gate.js';
import { subscribe } from '../../domain/subscribers/subscribers.js';
import { HttpError } from '../../errors.js';
import { networkOf } from '../../lib/client-address.js';

const PER_IP_LIMIT = 10;
/** Sign-up mail paced this far ahead closes the gate (the admin's chosen mode). */
const STOP_AFTER_MS = 10 * 60_000;

/** A 429 saying when to come back (Retry-After: when a token of its limit frees up). */
export function tooMany(message: string, retryAfterMs: number): HttpError {
  const err = new HttpError(429, 'too_many_requests', message);
  err.retryAfterSeconds = Math.ceil(retryAfterMs / 1000);
  return err;
}

/** One more sign-up (by email or webhook) from this client's network; a 429 past the limit. */
export async function countSignup(ctx: Context, ip: string | undefined): Promise<void> {
  const taken = await ctx.limits.take('signups', networkOf(ip), PER_IP_LIMIT, ctx.clock.now().getTime());
  if (!taken.taken) throw tooMany('Too many sign-ups from your network. Please try again in a few minutes.', taken.retryAfterMs);
}

/** The gate's refusal, as an API answers it. */
export function gateRefusal(refused: 'paused' | 'restricted'): HttpError {
  return new HttpError(
    403,
    `subscriptions_${refused}`,
    refused === 'paused' ? 'New subscriptions are paused' : 'Subscriptions are restricted to some email domains',
  );
}

/**
 * A public sign-up by email, from the form or the v2 API: the same limit per network, the same gate and
 * the same pacing, and the same answer whether the address is new, pending or already subscribed.
 * Throws 429 past the network's limit and a field error for a bad address; returns the gate's refusal.
 */
export async function publicSignup(
  ctx: Context,
  ip: string | undefined,
  input: { email: string; all: boolean; components: string[] },
  follow?: string,
): Promise<{ refused: 'paused' | 'restricted' } | { refused?: undefined; slowed: boolean }> {
  const now = ctx.clock.now().getTime();
  await countSignup(ctx, ip);
  const gate = getGate(ctx.db);
  const verdict = admits(gate, input.email);
  if (verdict !== 'ok') return { refused: verdict };
  if (gate.threshold <= 0) {
    subscribe(ctx, input, follow ? { follow } : {});
    return { slowed: false };
  }
  // Past the threshold of sign-ups a minute, sign-up mail is paced at the threshold's rate (a queue in
  // the outbox) rather than stopped; only once that queue is 10 minutes long does the gate close.
  // The token is taken before the sign-up, so that sign-ups arriving together see each other, and given
  // back if it queued no mail: repeating a known address costs nothing and proves nothing.
  const rate = await ctx.limits.take('mailed-signups', 'all', gate.threshold, now);
  const slowed = !rate.taken;
  let result: ReturnType<typeof subscribe>;
  try {
    result = subscribe(ctx, input, { ...(slowed ? { spacingMs: 60_000 / gate.threshold } : {}), ...(follow ? { follow } : {}) });
  } catch (err) {
    if (rate.token) ctx.limits.giveBack(rate.token);
    throw err;
  }
  if (!result.queued && rate.token) ctx.limits.giveBack(rate.token);
  if (slowed && result.dueAt - now > STOP_AFTER_MS) {
    closeGateAutomatically(ctx, { signupsLastMinute: rate.count, queuedMinutes: Math.round((result.dueAt - now) / 60_000) });
    ctx.log.warn({ rate: rate.count, threshold: gate.threshold }, 'sign-up mail queued for more than 10 minutes; new subscriptions closed automatically');
  }
  return { slowed };
}
