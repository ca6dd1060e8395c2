import type { CoreContext as Context } from '../context.js';
import { leaseDue, nextDue, recordOutcomes, recoverAbandoned, type Channel, type Delivery, type Outcome } from '../domain/subscribers/outbox.js';

const MINUTE = 60_000;
const LEASE_MS = 5 * MINUTE;
const BATCH = 200;
/** After a run that failed (a locked or full database), the worker tries again this much later by itself. */
const RETRY_AFTER_FAILURE_MS = 30_000;

/** First retry after about a minute, doubling, capped at an hour, with ±20 % jitter so retries do not stampede. */
export function backoffMs(attempts: number, random = Math.random): number {
  const base = Math.min(MINUTE * 2 ** Math.max(attempts - 1, 0), 60 * MINUTE);
  return Math.round(base * (0.8 + 0.4 * random()));
}

/**
 * Sends the outbox rows of some channels (mail/worker.ts: email; hooks/worker.ts: webhooks and chat).
 * Woken after every commit that queues a delivery, and by itself: after each run it sets one alarm on
 * the context's clock for the earlier of its channels' next due row and the end of its pause, so that
 * a retry goes out at its time, not at the next sweep (the jobs still sweep every minute, for rows
 * queued by another process). It leases due rows of its channels, sends them with `concurrency` at a
 * time and records each outcome as soon as it is known, so a crash can repeat at most the deliveries
 * that were in flight.
 */
export abstract class OutboxWorker {
  private running = false;
  private again = false;
  protected stopped = false;
  /** No row is sent before this (a channel-wide trouble, such as an SMTP server down). */
  protected pausedUntil = 0;
  private pending: { outcome: Outcome; source: string }[] = [];
  private flushScheduled = false;
  private loopDone: Promise<void> = Promise.resolve();
  private started = false;
  /** Cancels the one pending alarm (see arm()). */
  private cancelAlarm: (() => void) | undefined;

  constructor(
    protected readonly ctx: Context,
    private readonly channels: Channel[],
    private readonly concurrency: number,
  ) {}

  /** Sends one leased row; its outcome is recorded by the worker. */
  protected abstract sendOne(row: Delivery): Promise<Outcome>;

  /** Closes what the channel holds open (connection pools), once the last send is done. */
  protected abstract close(): void;

  /**
   * Recovers rows of these channels a dead process left "sending", then sends what is due. Until then
   * wake() does nothing: a row leased before the recovery would be taken for an abandoned one.
   */
  start(): void {
    const recovered = recoverAbandoned(this.ctx.db, this.channels);
    if (recovered) this.ctx.log.warn({ recovered, channels: this.channels }, 'deliveries left in flight by a previous process are queued again');
    this.started = true;
    this.wake();
  }

  /** Runs the loop now, or once more right after the current run. */
  wake(): void {
    if (this.stopped || !this.started) return;
    this.again = true;
    if (this.running) return;
    this.running = true;
    this.loopDone = this.run();
  }

  /** Resolves when the current run (if any) has finished; for tests and shutdown. */
  idle(): Promise<void> {
    return this.loopDone;
  }

  isRunning(): boolean {
    return this.running;
  }

  /** Stops taking rows, lets sends in flight finish (within their timeouts) and records them. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.disarm();
    await this.loopDone;
    this.flush();
    this.close();
  }

  private async run(): Promise<void> {
    let failed = false;
    try {
      while (this.again && !this.stopped) {
        this.again = false;
        await this.drain();
      }
    } catch (err) {
      failed = true;
      this.ctx.log.error({ err, channels: this.channels }, 'outbox worker failed');
    } finally {
      // Set in the same synchronous step as the last check of `again`: a wake() cannot fall in between.
      this.running = false;
    }
    this.arm(failed);
  }

  /**
   * One alarm per worker, set again after every run: at the next due row of its channels, or the end of
   * its pause if later; nothing when no row waits. A failed run tries again a little later.
   */
  private arm(failed: boolean): void {
    this.disarm();
    if (this.stopped) return;
    let at: number | undefined;
    try {
      const due = failed ? undefined : nextDue(this.ctx.db, this.channels);
      at = failed ? this.ctx.clock.now().getTime() + RETRY_AFTER_FAILURE_MS : due === undefined ? undefined : Math.max(due, this.pausedUntil);
    } catch (err) {
      this.ctx.log.error({ err, channels: this.channels }, 'outbox worker could not read its next due time');
      at = this.ctx.clock.now().getTime() + RETRY_AFTER_FAILURE_MS;
    }
    if (at === undefined) return;
    this.cancelAlarm = this.ctx.clock.after(at - this.ctx.clock.now().getTime(), () => {
      this.cancelAlarm = undefined;
      this.wake();
    });
  }

  private disarm(): void {
    this.cancelAlarm?.();
    this.cancelAlarm = undefined;
  }

  private async drain(): Promise<void> {
    while (!this.stopped && this.ctx.clock.now().getTime() >= this.pausedUntil) {
      const rows = leaseDue(this.ctx.db, this.channels, this.ctx.clock.now().getTime(), BATCH, LEASE_MS);
      if (rows.length === 0) return;
      await this.sendAll(rows);
      this.flush();
    }
  }

  private async sendAll(rows: Delivery[]): Promise<void> {
    let next = 0;
    const lane = async () => {
      while (next < rows.length) {
        const row = rows[next++];
        if (!row) break;
        if (this.stopped || this.ctx.clock.now().getTime() < this.pausedUntil) {
          this.push(row, { id: row.id, result: 'release' });
          continue;
        }
        this.push(row, await this.sendOne(row));
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, rows.length) }, lane));
  }

  /** Outcomes are written as they come, several per transaction when they complete together. */
  private push(row: Delivery, outcome: Outcome): void {
    this.pending.push({ outcome, source: row.source });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      recordOutcomes(
        this.ctx.db,
        batch.map((b) => b.outcome),
        this.ctx.clock.now(),
      );
    } catch (err) {
      // Leave them leased: after the lease (or a restart) they are sent again rather than lost.
      this.ctx.log.error({ err, count: batch.length }, 'could not record delivery outcomes');
      return;
    }
    this.ctx.bus.emit('mail.progress', [...new Set(batch.map((b) => b.source))]);
  }
}
