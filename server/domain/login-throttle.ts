/**
 * Failed sign-ins, counted per account (the address typed, whether or not it exists, so that the answer
 * says nothing about who has an account) and per client address. After a few failures each further
 * attempt must wait, twice as long each time up to a minute; past the hourly limit none is taken until
 * the hour has moved on. A throttled attempt is refused without checking the password. In memory: one
 * Pharos process serves a database, and a restart forgets (erring on the side of letting people in).
 */
export interface ThrottlePolicy {
  /** Failures before attempts must wait. */
  free: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Failures in the last hour past which every attempt is refused. */
  hourlyLimit: number;
}

export const ACCOUNT_POLICY: ThrottlePolicy = { free: 3, baseDelayMs: 1000, maxDelayMs: 60_000, hourlyLimit: 100 };
export const ADDRESS_POLICY: ThrottlePolicy = { free: 10, baseDelayMs: 1000, maxDelayMs: 60_000, hourlyLimit: 500 };
const HOUR = 3_600_000;
const MAX_KEYS = 100_000;

interface Entry {
  failures: number[];
  notBefore: number;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  /** How long (ms) the attempt must wait; 0 when it may go ahead. */
  waitMs(keys: [string, ThrottlePolicy][], now: number): number {
    let wait = 0;
    for (const [key, policy] of keys) {
      const entry = this.entries.get(key);
      if (!entry) continue;
      const recent = entry.failures.filter((t) => t > now - HOUR);
      if (recent.length >= policy.hourlyLimit) wait = Math.max(wait, (recent[recent.length - policy.hourlyLimit] ?? now) + HOUR - now);
      wait = Math.max(wait, entry.notBefore - now);
    }
    return Math.max(0, wait);
  }

  failed(keys: [string, ThrottlePolicy][], now: number): void {
    for (const [key, policy] of keys) {
      const entry = this.entries.get(key) ?? { failures: [], notBefore: 0 };
      entry.failures = entry.failures.filter((t) => t > now - HOUR);
      entry.failures.push(now);
      // From the `free`-th failure on, the next attempt waits: 1 s, 2 s, 4 s... up to the maximum.
      const over = entry.failures.length - policy.free + 1;
      entry.notBefore = over > 0 ? now + Math.min(policy.baseDelayMs * 2 ** (over - 1), policy.maxDelayMs) : 0;
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    // Forget the least recently failed keys rather than grow without bound under a spray of addresses.
    while (this.entries.size > MAX_KEYS) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /** A successful sign-in clears the account's waiting (not its client address's). */
  succeeded(accountKey: string): void {
    this.entries.delete(accountKey);
  }
}
