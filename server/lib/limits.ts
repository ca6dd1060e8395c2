import { LoginThrottle, type Reservation, type Reserved, type ThrottleKeys } from './login-throttle.js';
import { SlidingWindow, type Take, type Token } from './rate-limit.js';

/**
 * The sliding windows Pharos takes tokens in, by name: their length, and whether a refused take counts
 * too (a key that keeps trying stays refused) or only what is let through.
 */
export const WINDOWS = {
  /** Sign-ups per client network. */
  signups: { ms: 10 * 60_000, countsRefused: true },
  /** Wrong subscriber-link tokens per client network: a wrong link takes one, a valid one passes only while under the limit. */
  'wrong-tokens': { ms: 10 * 60_000, countsRefused: false },
  /** Changes through one subscriber's manage link. */
  'manage-changes': { ms: 10 * 60_000, countsRefused: true },
  /**
   * Public sign-ups that queued mail, in all (the registration gate's threshold): a rate, so the sign-ups
   * paced past it count too; taken before the sign-up, given back if it queued no mail.
   */
  'mailed-signups': { ms: 60_000, countsRefused: true },
  /** Management API requests per key (API_RATE_LIMIT a minute, Statuspage's one a second with its burst). */
  'api-requests': { ms: 60_000, countsRefused: false },
  /** Alert notifications per key (ALERT_RATE_LIMIT a minute): a budget of their own, so a storm waits at the sender. */
  'alert-requests': { ms: 60_000, countsRefused: false },
} as const;
export type WindowName = keyof typeof WINDOWS;

export const isWindowName = (v: unknown): v is WindowName => typeof v === 'string' && Object.hasOwn(WINDOWS, v);

/** A token of a named window, as take() hands it out and giveBack() takes it. */
export interface WindowToken extends Token {
  window: WindowName;
}

/**
 * The limits every HTTP process of one Pharos must share, or an attacker would get as many tries as
 * there are processes: password attempts (login-throttle.ts) and the sliding windows above. Each limit
 * takes a token or refuses in one step (take), so that requests arriving together cannot all pass
 * between a count and a record; what only counts once its outcome is known is taken up front and given
 * back. One process keeps them in memory (LocalLimits); the workers of a cluster ask the cluster's
 * primary process, which keeps them (cluster/remote-limits.ts), one round trip per take. Asynchronous
 * for that reason.
 */
export interface SharedLimits {
  reserve(keys: ThrottleKeys, now: number): Promise<Reserved>;
  settle(reservation: Reservation, outcome: 'failed' | 'succeeded' | 'cancelled'): void;
  /** A token of the window for the key, if it holds fewer than `limit`; else refused, with when one frees up. */
  take(window: WindowName, key: string, limit: number, now: number, cost?: 0 | 1): Promise<TakeResult>;
  /** Gives back a token taken (what it was taken for turned out not to count). */
  giveBack(token: WindowToken): void;
}

export type TakeResult = { taken: true; count: number; token: WindowToken } | { taken: false; count: number; retryAfterMs: number; token?: WindowToken };

export class LocalLimits implements SharedLimits {
  readonly attempts = new LoginThrottle();
  private readonly windows = new Map<WindowName, SlidingWindow>();

  reserve(keys: ThrottleKeys, now: number): Promise<Reserved> {
    return Promise.resolve(this.attempts.reserve(keys, now));
  }

  settle(reservation: Reservation, outcome: 'failed' | 'succeeded' | 'cancelled'): void {
    this.attempts.settle(reservation, outcome);
  }

  take(window: WindowName, key: string, limit: number, now: number, cost: 0 | 1 = 1): Promise<TakeResult> {
    return Promise.resolve(this.takeNow(window, key, limit, now, cost));
  }

  /** take(), answered at once (the primary process answers its workers with it). */
  takeNow(window: WindowName, key: string, limit: number, now: number, cost: 0 | 1 = 1): TakeResult {
    const result: Take = this.window(window).take(key, limit, now, cost);
    if (result.taken) return { ...result, token: { ...result.token, window } };
    const { token, ...refused } = result;
    return token ? { ...refused, token: { ...token, window } } : refused;
  }

  giveBack(token: WindowToken): void {
    this.windows.get(token.window)?.giveBack(token);
  }

  private window(name: WindowName): SlidingWindow {
    let w = this.windows.get(name);
    if (!w) {
      w = new SlidingWindow(WINDOWS[name].ms, WINDOWS[name].countsRefused);
      this.windows.set(name, w);
    }
    return w;
  }
}
