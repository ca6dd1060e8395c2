import type { Context } from '../../context.js';
import { admits, closeGateAutomatically, getGate } from '../../domain/subscribers/gate.js';
import { subscribe } from '../../domain/subscribers/subscribers.js';
import { HttpError } from '../../errors.js';
import { networkOf } from '../../lib/client-address.js';

const PER_IP_LIMIT = 10;
/** Sign-up mail paced this far ahead closes the gate (the admin's chosen mode). */
const STOP_AFTER_MS = 10 * 60_000;

/**
 * A public sign-up by email, from the form or the v2 API: the same limit per network, the same gate and
 * the same pacing, and the same answer whether the address is new, pending or already subscribed.
 * Throws 429 past the network's limit and a field error for a bad address; returns the gate's refusal.
 */
/** One more sign-up (by email or webhook) from this client's network; a 429 past the limit. */
export async function countSignup(ctx: Context, ip: string | undefined): Promise<void> {
  if ((await ctx.limits.hit('signups', networkOf(ip), ctx.clock.now().getTime())) > PER_IP_LIMIT) {
    throw new HttpError(429, 'too_many_requests', 'Too many sign-ups from your network. Please try again in a few minutes.');
  }
}

/** The gate's refusal, as an API answers it. */
export function gateRefusal(refused: 'paused' | 'restricted'): HttpError {
  return new HttpError(
    403,
    `subscriptions_${refused}`,
    refused === 'paused' ? 'New subscriptions are paused' : 'Subscriptions are restricted to some email domains',
  );
}

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
  // Past the threshold of sign-ups a minute, sign-up mail is paced at the threshold's rate (a queue in
  // the outbox) rather than stopped; only once that queue is 10 minutes long does the gate close.
  // Only sign-ups that queue mail count: repeating a known address costs nothing and proves nothing.
  const rate = await ctx.limits.count('mailed-signups', 'all', now);
  const slowed = gate.threshold > 0 && rate >= gate.threshold;
  const result = subscribe(ctx, input, { ...(slowed ? { spacingMs: 60_000 / gate.threshold } : {}), ...(follow ? { follow } : {}) });
  if (result.queued) await ctx.limits.hit('mailed-signups', 'all', now);
  if (slowed && result.dueAt - now > STOP_AFTER_MS) {
    closeGateAutomatically(ctx, { signupsLastMinute: rate + 1, queuedMinutes: Math.round((result.dueAt - now) / 60_000) });
    ctx.log.warn({ rate, threshold: gate.threshold }, 'sign-up mail queued for more than 10 minutes; new subscriptions closed automatically');
  }
  return { slowed };
}
