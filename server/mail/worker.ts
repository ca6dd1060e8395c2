import type { CoreContext as Context } from '../context.js';
import { leaseDue, recordOutcomes, recoverAbandoned, type Delivery, type Outcome } from '../domain/subscribers/outbox.js';
import { compose } from './compose.js';
import type { MailTransport } from './transport.js';

const MINUTE = 60_000;
const LEASE_MS = 5 * MINUTE;
const BATCH = 200;
/** After a connection-level failure, the worker waits this long before trying the server again. */
const PAUSE_AFTER_CONNECTION_ERROR_MS = 30_000;

/** First retry after about a minute, doubling, capped at an hour, with ±20 % jitter so retries do not stampede. */
export function backoffMs(attempts: number, random = Math.random): number {
  const base = Math.min(MINUTE * 2 ** Math.max(attempts - 1, 0), 60 * MINUTE);
  return Math.round(base * (0.8 + 0.4 * random()));
}

type Failure = { kind: 'bounce' | 'rejected' | 'temporary' | 'transport'; message: string; response?: string };

/**
 * Who a refusal is about. A 5xx to RCPT TO: this address, for good (it counts toward "bounced").
 * A 5xx to DATA: this message, for good. A 4xx: try this message later. A 5xx anywhere else (greeting,
 * EHLO, AUTH, MAIL FROM: a wrong password, a refused sender) or no reply at all: the server or our
 * setup, so nothing is held against the subscriber and the message waits until the server is fine.
 */
export function classify(err: unknown): Failure {
  const e = (err ?? {}) as { responseCode?: unknown; response?: unknown; code?: unknown; command?: unknown; message?: unknown };
  const message = String(e.message ?? err);
  const response = typeof e.response === 'string' ? e.response : undefined;
  const code = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const command = typeof e.command === 'string' ? e.command.toUpperCase() : '';
  if (code !== undefined && code >= 400 && code < 500) return { kind: 'temporary', message, response };
  if (code !== undefined && code >= 500) {
    if (command.startsWith('RCPT')) return { kind: 'bounce', message, response };
    if (command === 'DATA' || command.startsWith('DATA')) return { kind: 'rejected', message, response };
    return { kind: 'transport', message, response };
  }
  if (e.code === 'EENVELOPE') return { kind: 'bounce', message, response };
  if (e.code === 'EMESSAGE') return { kind: 'rejected', message, response };
  return { kind: 'transport', message, response };
}

export interface WorkerState {
  transport: string;
  running: boolean;
  pausedUntil: number;
  lastError: { at: string; message: string } | undefined;
  lastSentAt: string | undefined;
}

/**
 * Sends the outbox. Woken after every commit that queues mail and swept every minute by the jobs; it
 * leases due rows, sends one message per recipient and records each outcome as soon as it is known,
 * so a crash can repeat at most the messages that were in flight.
 */
export class MailWorker {
  private running = false;
  private again = false;
  private stopped = false;
  private pausedUntil = 0;
  private lastError: WorkerState['lastError'];
  private lastSentAt: string | undefined;
  private pending: { outcome: Outcome; source: string }[] = [];
  private flushScheduled = false;
  private loopDone: Promise<void> = Promise.resolve();
  private readonly concurrency: number;
  private started = false;

  constructor(
    private readonly ctx: Context,
    readonly transport: MailTransport,
  ) {
    this.concurrency = transport.kind === 'smtp' ? ctx.config.mail.maxConnections * 4 : 8;
  }

  /**
   * Recovers rows a dead process left "sending", then sends what is due. Until then wake() does nothing:
   * a row leased before the recovery would be taken for an abandoned one. compose.ts's wire() wakes it
   * after every commit.
   */
  start(): void {
    const recovered = recoverAbandoned(this.ctx.db);
    if (recovered) this.ctx.log.warn({ recovered }, 'deliveries left in flight by a previous process are queued again');
    this.started = true;
    this.wake();
  }

  state(): WorkerState {
    return {
      transport: this.transport.description,
      running: this.running,
      pausedUntil: this.pausedUntil,
      lastError: this.lastError,
      lastSentAt: this.lastSentAt,
    };
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

  /** Stops taking rows, lets sends in flight finish (within the SMTP timeouts) and records them. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loopDone;
    this.flush();
    this.transport.close();
  }

  private async run(): Promise<void> {
    try {
      while (this.again && !this.stopped) {
        this.again = false;
        await this.drain();
      }
    } catch (err) {
      this.ctx.log.error({ err }, 'mail worker failed');
    } finally {
      // Set in the same synchronous step as the last check of `again`: a wake() cannot fall in between.
      this.running = false;
    }
  }

  private async drain(): Promise<void> {
    while (!this.stopped && this.ctx.clock.now().getTime() >= this.pausedUntil) {
      const rows = leaseDue(this.ctx.db, this.ctx.clock.now().getTime(), BATCH, LEASE_MS);
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

  private async sendOne(row: Delivery): Promise<Outcome> {
    let composed;
    try {
      composed = compose(this.ctx, row);
    } catch (err) {
      this.ctx.log.error({ err, delivery: row.id }, 'could not compose a message');
      return { id: row.id, result: 'failed', error: `Could not compose the message: ${String(err)}` };
    }
    if ('skip' in composed) return { id: row.id, result: 'failed', error: composed.skip };
    try {
      const { response } = await this.transport.send(composed.message, row.id);
      this.lastSentAt = this.ctx.clock.now().toISOString();
      // The Mail page shows the transport's current trouble, not one it has recovered from.
      this.lastError = undefined;
      return { id: row.id, result: 'sent', response };
    } catch (err) {
      return this.failed(row, classify(err));
    }
  }

  private failed(row: Delivery, failure: Failure): Outcome {
    const now = this.ctx.clock.now();
    this.lastError = { at: now.toISOString(), message: failure.response ?? failure.message };
    if (failure.kind === 'bounce') {
      const bounced = row.kind === 'admin_alert' ? undefined : (row.subscriber_id ?? undefined);
      return { id: row.id, result: 'failed', error: failure.message, response: failure.response, bouncedSubscriber: bounced };
    }
    if (failure.kind === 'rejected') return { id: row.id, result: 'failed', error: failure.message, response: failure.response };
    if (failure.kind === 'transport') {
      this.pausedUntil = now.getTime() + PAUSE_AFTER_CONNECTION_ERROR_MS;
      this.ctx.log.warn({ err: failure.message }, 'SMTP server unreachable or refusing us; mail waits and is retried');
    }
    if (now.getTime() - Date.parse(row.created_at) >= this.ctx.config.mail.maxAgeMs) {
      return { id: row.id, result: 'dead', error: `Gave up after ${row.attempts} attempts: ${failure.message}` };
    }
    // An unreachable server says nothing about this message: it is tried again as soon as the server is
    // (at the end of the pause), so that everything goes out once the server is back, not an hour later.
    const delay = failure.kind === 'transport' ? PAUSE_AFTER_CONNECTION_ERROR_MS : backoffMs(row.attempts);
    return { id: row.id, result: 'retry', error: failure.response ?? failure.message, nextAttemptAt: now.getTime() + delay };
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
