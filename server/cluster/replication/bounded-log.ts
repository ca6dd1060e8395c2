import type { Log } from '../../log.js';

const WINDOW_MS = 60_000;
const PER_WINDOW = 20;

/**
 * What an edge ignores from Redis, logged: at most 20 lines a minute, then how many more it ignored, so
 * that someone writing junk to Redis cannot fill the edge's disk or drown its log.
 */
export class BoundedLog {
  private windowStart = 0;
  private count = 0;
  private dropped = 0;

  constructor(private readonly log: Log) {}

  error(fields: Record<string, unknown>, message: string): void {
    const now = Date.now();
    if (now - this.windowStart >= WINDOW_MS) {
      if (this.dropped) this.log.error({ ignored: this.dropped }, 'ignored more documents from Redis than logged in the last minute');
      this.windowStart = now;
      this.count = 0;
      this.dropped = 0;
    }
    if (this.count++ < PER_WINDOW) this.log.error(fields, message);
    else this.dropped++;
  }
}
