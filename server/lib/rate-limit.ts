/**
 * Tokens per key over a sliding window, in memory (a restart forgets them, which errs on the side of
 * letting people in). lib/limits.ts keeps one per name, in one process for the whole cluster.
 *
 * A key's tokens are their times, oldest first, in a queue pruned from the front: a take costs what
 * expired since the last one, not a pass over every token (a key under a flood holds thousands).
 */

/** A token taken, to be given back if what it was taken for turns out not to count. */
export interface Token {
  key: string;
  at: number;
}

export type Take =
  | { taken: true; count: number; token: Token }
  /** `token`: set when the window counts refusals too (they are recorded, and may be given back). */
  | { taken: false; count: number; retryAfterMs: number; token?: Token };

/** The times of one key's tokens, oldest first; `head` skips the expired ones until the array is compacted. */
class Times {
  private items: number[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  /** The i-th oldest time. */
  at(i: number): number {
    return this.items[this.head + i] ?? 0;
  }

  /** Forgets the times at or before `since`. */
  dropUntil(since: number): void {
    while (this.head < this.items.length && (this.items[this.head] ?? 0) <= since) this.head++;
    this.compact();
  }

  dropOldest(): void {
    if (this.head < this.items.length) this.head++;
    this.compact();
  }

  /** In order: the times of different processes may arrive a little out of it. */
  add(t: number): void {
    let i = this.items.length;
    while (i > this.head && (this.items[i - 1] ?? 0) > t) i--;
    if (i === this.items.length) this.items.push(t);
    else this.items.splice(i, 0, t);
  }

  /** Removes one token taken at `t` (the most recent such); false if it is gone already. */
  remove(t: number): boolean {
    const i = this.items.lastIndexOf(t);
    if (i < this.head) return false;
    this.items.splice(i, 1);
    return true;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

export class SlidingWindow {
  private readonly keys = new Map<string, Times>();

  /**
   * `countsRefused`: a refused take is recorded too (as the most recent token, the oldest forgotten), so
   * that a key that keeps trying stays refused; otherwise only what is let through counts.
   */
  constructor(
    private readonly windowMs: number,
    private readonly countsRefused = false,
    private readonly maxKeys = 100_000,
  ) {}

  /**
   * Takes a token if the key has fewer than `limit` in the window, or refuses; one step, nothing in between.
   * `cost` 0: admitted while under the limit, without taking anything (what must not count, but must not
   * pass a key that is over it either: a valid subscriber link from a network that guessed too much).
   */
  take(key: string, limit: number, now: number, cost: 0 | 1 = 1): Take {
    const times = this.keys.get(key) ?? new Times();
    times.dropUntil(now - this.windowMs);
    // Least recently used last: Map keeps insertion order.
    this.keys.delete(key);
    this.keys.set(key, times);
    this.forgetOldest();
    if (times.size < limit) {
      if (cost) times.add(now);
      return { taken: true, count: times.size, token: { key, at: now } };
    }
    // The token that frees up first: once it expires, fewer than `limit` remain.
    const frees = limit > 0 ? times.at(times.size - limit) + this.windowMs : now + this.windowMs;
    if (!this.countsRefused) return { taken: false, count: times.size, retryAfterMs: Math.max(1, frees - now) };
    // Only the `limit` most recent tries decide the next one: older ones need not be kept.
    while (times.size >= Math.max(1, limit)) times.dropOldest();
    times.add(now);
    const next = limit > 0 ? times.at(times.size - limit) + this.windowMs : now + this.windowMs;
    return { taken: false, count: times.size, retryAfterMs: Math.max(1, next - now), token: { key, at: now } };
  }

  /** Gives back a token taken earlier (what it was taken for did not count after all). */
  giveBack(token: Token): void {
    const times = this.keys.get(token.key);
    if (!times) return;
    times.remove(token.at);
    if (!times.size) this.keys.delete(token.key);
  }

  /** Forget the least recently seen keys rather than grow without bound under a spray of addresses. */
  private forgetOldest(): void {
    while (this.keys.size > this.maxKeys) {
      const oldest = this.keys.keys().next().value;
      if (oldest === undefined) return;
      this.keys.delete(oldest);
    }
  }
}
