import type { CoreContext as Context } from '../../context.js';
import type { Delivery, Outcome } from '../../domain/subscribers/outbox.js';
import { backoffMs, OutboxWorker } from '../worker.js';
import { compose } from './compose.js';
import type { MailTransport } from './transport.js';

export { backoffMs };

/**
 * After a connection-level failure the channel waits before trying the server again: a second at
 * first (a dropped connection is most often a hiccup), doubling while the server keeps failing, up to
 * 30 s (a server that is down); a message sent starts it over.
 */
const FIRST_PAUSE_MS = 1_000;
const MAX_PAUSE_MS = 30_000;

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

/** The email channel of the outbox: one message per recipient through SMTP (or .eml files). */
export class MailWorker extends OutboxWorker {
  private lastError: WorkerState['lastError'];
  private lastSentAt: string | undefined;
  /** The current pause after connection failures (0: none since the last message sent). */
  private pauseMs = 0;

  constructor(
    ctx: Context,
    readonly transport: MailTransport,
  ) {
    super(ctx, ['email'], transport.kind === 'smtp' ? ctx.config.mail.maxConnections * 4 : 8);
  }

  state(): WorkerState {
    return {
      transport: this.transport.description,
      running: this.isRunning(),
      pausedUntil: this.pausedUntil,
      lastError: this.lastError,
      lastSentAt: this.lastSentAt,
    };
  }

  protected close(): void {
    this.transport.close();
  }

  protected async sendOne(row: Delivery): Promise<Outcome> {
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
      this.pauseMs = 0;
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
    // Sends already under way when the pause began fail with it: one failure per pause, not per send.
    if (failure.kind === 'transport' && now.getTime() >= this.pausedUntil) {
      this.pauseMs = this.pauseMs ? Math.min(2 * this.pauseMs, MAX_PAUSE_MS) : FIRST_PAUSE_MS;
      this.pausedUntil = now.getTime() + this.pauseMs;
      this.ctx.log.warn({ err: failure.message, pauseMs: this.pauseMs }, 'SMTP server unreachable or refusing us; mail waits and is retried');
    }
    if (now.getTime() - Date.parse(row.created_at) >= this.ctx.config.mail.maxAgeMs) {
      return { id: row.id, result: 'dead', error: `Gave up after ${row.attempts} attempts: ${failure.message}` };
    }
    // An unreachable server says nothing about this message: it is tried again as soon as the server is
    // (at the end of the pause), so that everything goes out once the server is back, not an hour later.
    const nextAttemptAt = failure.kind === 'transport' ? Math.max(this.pausedUntil, now.getTime()) : now.getTime() + backoffMs(row.attempts);
    return { id: row.id, result: 'retry', error: failure.response ?? failure.message, nextAttemptAt };
  }
}
