import type { CoreContext as Context } from '../../context.js';
import { recordEndpointResult, RETRY_FOR_MS, supersededUpdate } from '../../domain/subscribers/endpoint-deliveries.js';
import { findIncident } from '../../domain/incidents/queries.js';
import { findEndpoint } from '../../domain/subscribers/endpoints.js';
import type { Delivery, Outcome } from '../../domain/subscribers/outbox.js';
import { mailHost } from '../../domain/subscribers/subscribers.js';
import { backoffMs, OutboxWorker } from '../worker.js';
import { chatBody, chatMessage } from './chat.js';
import { post } from './post.js';
import { signature, webhookBody } from './webhook.js';

/**
 * The webhook and chat channels of the outbox: one POST per delivery, 32 at a time (a receiver that
 * hangs holds one lane for at most its 10 s timeout, and never the mail). 2xx is success; anything
 * else, a redirect included, is retried with backoff for 24 h.
 */
export class HookWorker extends OutboxWorker {
  constructor(ctx: Context) {
    super(ctx, ['webhook', 'chat'], 32);
  }

  protected close(): void {}

  protected async sendOne(row: Delivery): Promise<Outcome> {
    const endpoint = row.endpoint_id ? findEndpoint(this.ctx.db, row.endpoint_id) : undefined;
    if (!endpoint) return { id: row.id, result: 'failed', error: 'The endpoint was removed before the delivery' };
    if (endpoint.state === 'disabled') return { id: row.id, result: 'failed', error: 'The endpoint is disabled' };
    const stale = this.stale(row, endpoint.id);
    if (stale) return { id: row.id, result: 'failed', error: stale };
    let body: string;
    const headers: Record<string, string> = { 'X-Pharos-Delivery': row.message_id };
    try {
      if (endpoint.kind === 'webhook') {
        const composed = webhookBody(this.ctx, row, endpoint);
        if ('skip' in composed) return { id: row.id, result: 'failed', error: composed.skip };
        body = composed.body;
        headers['X-Pharos-Signature'] = signature(endpoint.signing_secret ?? '', body, this.ctx.clock.now());
      } else {
        const message = chatMessage(this.ctx, row);
        if ('skip' in message) return { id: row.id, result: 'failed', error: message.skip };
        body = JSON.stringify(chatBody(endpoint.kind, message));
      }
    } catch (err) {
      this.ctx.log.error({ err, delivery: row.id }, 'could not compose a delivery');
      return { id: row.id, result: 'failed', error: `Could not compose the delivery: ${String(err)}` };
    }
    let error: string;
    try {
      const res = await post(endpoint.url, body, headers, { allowPrivate: endpoint.allow_private === 1, dnsServers: this.ctx.config.webhookDnsServers });
      if (res.status >= 200 && res.status < 300) {
        recordEndpointResult(this.ctx.db, endpoint.id, true, '', mailHost(this.ctx.config.publicUrl), this.ctx.clock.now());
        return { id: row.id, result: 'sent', response: `HTTP ${res.status}` };
      }
      error = res.status >= 300 && res.status < 400 ? `HTTP ${res.status}: a redirect, not followed` : `HTTP ${res.status}: ${res.text.slice(0, 200)}`;
      // A chat service's "no such webhook" or "channel archived" will not change by retrying.
      if (endpoint.kind !== 'webhook' && (res.status === 404 || res.status === 410)) {
        recordEndpointResult(this.ctx.db, endpoint.id, false, error, mailHost(this.ctx.config.publicUrl), this.ctx.clock.now());
        return { id: row.id, result: 'failed', error: `${error} (the service says this webhook is gone)` };
      }
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const now = this.ctx.clock.now();
    const disabled = recordEndpointResult(this.ctx.db, endpoint.id, false, error, mailHost(this.ctx.config.publicUrl), now);
    if (disabled) {
      this.ctx.bus.emit('mail.queued');
      return { id: row.id, result: 'failed', error: `${error} (the endpoint is now disabled)` };
    }
    if (now.getTime() - Date.parse(row.created_at) >= RETRY_FOR_MS)
      return { id: row.id, result: 'dead', error: `Gave up after ${row.attempts} attempts: ${error}` };
    return { id: row.id, result: 'retry', error, nextAttemptAt: now.getTime() + backoffMs(row.attempts) };
  }

  /** Why a row should not be sent any more (as the mail worker skips a reminder once its window has begun). */
  private stale(row: Delivery, endpointId: string): string | undefined {
    if (row.kind === 'incident_update' && row.thread_id && supersededUpdate(this.ctx.db, endpointId, row.thread_id, row.subject_id)) {
      return 'Superseded: a later update of this incident was delivered already';
    }
    if (row.kind === 'maintenance_reminder') {
      const m = findIncident(this.ctx.db, row.subject_id);
      if (!m || m.status !== 'scheduled' || m.cancelled_at || this.ctx.clock.now().getTime() >= Date.parse(m.scheduled_for ?? '')) {
        return 'The maintenance was deleted, started or cancelled before the reminder went out';
      }
    }
    return undefined;
  }
}
