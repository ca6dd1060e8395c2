/** What the tally writes to: pino's logger, or anything with its warn(). */
export interface Warner {
  warn(obj: object, msg: string): void;
}

const EVERY_MS = 10_000;
/** Networks named in one line: the biggest senders, not a list an attacker can grow. */
const NAMED = 5;
/** Networks counted between two lines (past it, new ones are only in the totals). */
const TRACKED = 10_000;

/**
 * Refusals (of connections, handshakes) tallied and logged at most once every 10 s: one line with the
 * counts by reason and the networks refused most. Under a flood of 20,000 connections the log gets one
 * line, not 20,000.
 */
export class RefusalTally {
  private counts = new Map<string, number>();
  private networks = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Warner,
    private readonly message: string,
    private readonly context: Record<string, unknown> = {},
  ) {}

  refused(reason: string, network?: string): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
    if (network !== undefined && (this.networks.has(network) || this.networks.size < TRACKED)) {
      this.networks.set(network, (this.networks.get(network) ?? 0) + 1);
    }
    this.timer ??= setTimeout(() => this.flush(), EVERY_MS).unref();
  }

  /** Logs what was counted since the last line (at once: at shutdown). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.counts.size === 0) return;
    const top = [...this.networks].sort((a, b) => b[1] - a[1]).slice(0, NAMED);
    this.log.warn(
      { ...this.context, refused: Object.fromEntries(this.counts), networks: Object.fromEntries(top), withinSeconds: EVERY_MS / 1000 },
      this.message,
    );
    this.counts = new Map();
    this.networks = new Map();
  }
}
