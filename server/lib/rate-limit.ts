/**
 * Counts events per key over a sliding window, in memory (a restart forgets the counts, which errs on the
 * side of letting people in). lib/limits.ts keeps one per name, in one process for the whole cluster.
 */
export class SlidingWindow {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** How many hits the key has in the window, without recording one. */
  count(key: string, now: number): number {
    const since = now - this.windowMs;
    return (this.hits.get(key) ?? []).filter((t) => t > since).length;
  }

  /** Records a hit and returns how many hits the key has in the window, this one included. */
  hit(key: string, now: number): number {
    const since = now - this.windowMs;
    const list = (this.hits.get(key) ?? []).filter((t) => t > since);
    list.push(now);
    this.hits.delete(key);
    this.hits.set(key, list);
    if (this.hits.size > this.maxKeys) {
      // Forget the least recently seen key; Map keeps insertion order and hit() reinserts.
      const oldest = this.hits.keys().next().value;
      if (oldest !== undefined) this.hits.delete(oldest);
    }
    return list.length;
  }
}
