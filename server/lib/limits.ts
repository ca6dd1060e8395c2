import { LoginThrottle, type Reservation, type Reserved, type ThrottleKeys } from './login-throttle.js';
import { SlidingWindow } from './rate-limit.js';

/** The sliding windows Pharos counts in, by name, and their length. */
export const WINDOWS = {
  /** Sign-ups per client network. */
  signups: 10 * 60_000,
  /** Wrong subscriber-link tokens per client network. */
  'wrong-tokens': 10 * 60_000,
  /** Changes through one subscriber's manage link. */
  'manage-changes': 10 * 60_000,
  /** Public sign-ups that queued mail, in all (the registration gate's threshold). */
  'mailed-signups': 60_000,
  /** Management API requests per key (API_RATE_LIMIT a minute, Statuspage's one a second with its burst). */
  'api-requests': 60_000,
  /** Alert notifications per key (ALERT_RATE_LIMIT a minute): a budget of their own, so a storm waits at the sender. */
  'alert-requests': 60_000,
} as const;
export type WindowName = keyof typeof WINDOWS;

/**
 * The counts every HTTP process of one Pharos must share, or an attacker would get as many tries as
 * there are processes: password attempts (login-throttle.ts) and the sliding windows above. One process
 * keeps them in memory (LocalLimits); the workers of a cluster ask the cluster's primary process, which
 * keeps them (cluster/remote-limits.ts). Asynchronous for that reason.
 */
export interface SharedLimits {
  reserve(keys: ThrottleKeys, now: number): Promise<Reserved>;
  settle(reservation: Reservation, outcome: 'failed' | 'succeeded' | 'cancelled'): void;
  /** Records a hit; resolves with the hits in the window, this one included. */
  hit(window: WindowName, key: string, now: number): Promise<number>;
  /** The hits in the window, without recording one. */
  count(window: WindowName, key: string, now: number): Promise<number>;
}

export class LocalLimits implements SharedLimits {
  readonly attempts = new LoginThrottle();
  private readonly windows = new Map<WindowName, SlidingWindow>();

  reserve(keys: ThrottleKeys, now: number): Promise<Reserved> {
    return Promise.resolve(this.attempts.reserve(keys, now));
  }

  settle(reservation: Reservation, outcome: 'failed' | 'succeeded' | 'cancelled'): void {
    this.attempts.settle(reservation, outcome);
  }

  hit(window: WindowName, key: string, now: number): Promise<number> {
    return Promise.resolve(this.window(window).hit(key, now));
  }

  count(window: WindowName, key: string, now: number): Promise<number> {
    return Promise.resolve(this.window(window).count(key, now));
  }

  private window(name: WindowName): SlidingWindow {
    let w = this.windows.get(name);
    if (!w) {
      w = new SlidingWindow(WINDOWS[name]);
      this.windows.set(name, w);
    }
    return w;
  }
}
