/**
 * Password attempts (sign-ins and re-confirmations), counted per account (the address typed, whether
 * or not it exists, so that the answer says nothing about who has an account), per client network and,
 * for a browser that signed in before, per device cookie instead of per account. After a few failures
 * each further attempt must wait, twice as long each time up to a minute; past the hourly limit none is
 * taken until the hour has moved on. A refused attempt is not checked at all.
 *
 * An attempt is reserved before its password is hashed: counted as a failure up front, so that 30
 * attempts sent at once see each other, and given back if the password was right. At most `concurrent`
 * attempts per key are being checked at any moment.
 *
 * In memory: a restart forgets (erring on the side of letting people in).
 */
export interface ThrottlePolicy {
  /** Failures before attempts must wait. */
  free: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Failures in the last hour past which every attempt is refused. */
  hourlyLimit: number;
  /** Attempts being checked at once. */
  concurrent: number;
}

export const ACCOUNT_POLICY: ThrottlePolicy = { free: 3, baseDelayMs: 1000, maxDelayMs: 60_000, hourlyLimit: 100, concurrent: 2 };
export const NETWORK_POLICY: ThrottlePolicy = { free: 10, baseDelayMs: 1000, maxDelayMs: 60_000, hourlyLimit: 500, concurrent: 4 };
/** A browser holding a device cookie for the account (OWASP's device cookies): its own, separate count. */
export const DEVICE_POLICY: ThrottlePolicy = { free: 5, baseDelayMs: 1000, maxDelayMs: 60_000, hourlyLimit: 100, concurrent: 2 };

const HOUR = 3_600_000;
const MAX_KEYS = 100_000;

interface Entry {
  failures: number[];
  inFlight: number;
}

export type ThrottleKeys = [string, ThrottlePolicy][];

/** A reserved attempt, to be settled once its password has been checked (or could not be). */
export interface Reservation {
  keys: ThrottleKeys;
  at: number;
}

/** Refused: `failures` (too many lately) or `in_flight` (as many attempts as allowed are being checked). */
export type Reserved = { reservation: Reservation } | { waitMs: number; why: 'failures' | 'in_flight' };

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  /** How long (ms) an attempt must wait, from the failures so far; 0 when it may go ahead. */
  waitMs(keys: ThrottleKeys, now: number): number {
    let wait = 0;
    for (const [key, policy] of keys) {
      const entry = this.entries.get(key);
      if (!entry) continue;
      const recent = entry.failures.filter((t) => t > now - HOUR);
      if (recent.length >= policy.hourlyLimit) wait = Math.max(wait, (recent[recent.length - policy.hourlyLimit] ?? now) + HOUR - now);
      // From the `free`-th failure on, the next attempt waits: 1 s, 2 s, 4 s... up to the maximum.
      const over = recent.length - policy.free + 1;
      const last = recent[recent.length - 1];
      if (over > 0 && last !== undefined) wait = Math.max(wait, last + Math.min(policy.baseDelayMs * 2 ** (over - 1), policy.maxDelayMs) - now);
    }
    return Math.max(0, wait);
  }

  /**
   * Reserves an attempt (counted as a failure until settled), or says how long to wait. The first key
   * names who the password is for (the account, or the device), the others where it comes from.
   */
  reserve(keys: ThrottleKeys, now: number): Reserved {
    const wait = this.waitMs(keys, now);
    if (wait > 0) return { waitMs: wait, why: 'failures' };
    // A key with as many attempts being checked as its policy allows: try again in a moment.
    if (keys.some(([key, policy]) => (this.entries.get(key)?.inFlight ?? 0) >= policy.concurrent)) return { waitMs: 1000, why: 'in_flight' };
    for (const [key] of keys) {
      const entry = this.entries.get(key) ?? { failures: [], inFlight: 0 };
      entry.failures = entry.failures.filter((t) => t > now - HOUR);
      entry.failures.push(now);
      entry.inFlight++;
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    this.forgetOldest();
    return { reservation: { keys, at: now } };
  }

  /**
   * 'failed': the reserved failure stands. 'succeeded': it is given back, and the account's (or
   * device's) count is cleared, not the network's. 'cancelled': given back (the check never ran).
   */
  settle(reservation: Reservation, outcome: 'failed' | 'succeeded' | 'cancelled'): void {
    for (const [i, [key]] of reservation.keys.entries()) {
      const entry = this.entries.get(key);
      if (!entry) continue;
      entry.inFlight = Math.max(0, entry.inFlight - 1);
      if (outcome === 'failed') continue;
      if (outcome === 'succeeded' && i === 0) entry.failures = [];
      const at = entry.failures.lastIndexOf(reservation.at);
      if (at !== -1) entry.failures.splice(at, 1);
      if (!entry.failures.length && !entry.inFlight) this.entries.delete(key);
    }
  }

  /** Forget the least recently used keys rather than grow without bound under a spray of addresses. */
  private forgetOldest(): void {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= MAX_KEYS) break;
      if (!entry.inFlight) this.entries.delete(key);
    }
  }
}
