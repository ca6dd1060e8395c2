import { randomBytes } from 'node:crypto';
import type { Deps } from '../../context.js';
import { Invalid } from '../../errors.js';
import { post } from './post.js';

/**
 * Before a webhook the public subscribed is stored, its receiver must show that it asked for it, as
 * Slack's url_verification does: Pharos POSTs `{"type": "url_verification", "challenge": "…"}` and the
 * answer must be a 2xx whose body holds the challenge. Without it anyone could point a page's traffic at
 * any address. One request, with the delivery's own guards (public address, no redirect, 10 s).
 */
export function verifyWebhook(ctx: Deps<'config' | 'pageId'>): (url: string) => Promise<void> {
  return async (url) => {
    const challenge = randomBytes(18).toString('base64url');
    const body = JSON.stringify({ type: 'url_verification', challenge, page: { id: ctx.pageId }, documentation: `${ctx.config.publicUrl}/webhooks` });
    let answer;
    try {
      answer = await post(
        url,
        body,
        { 'X-Pharos-Event': 'url_verification' },
        { allowPrivate: ctx.config.webhookAllowPrivate, dnsServers: ctx.config.webhookDnsServers },
      );
    } catch {
      throw new Invalid({ endpoint: 'The address did not answer the verification request (see /webhooks)' });
    }
    if (answer.status < 200 || answer.status >= 300 || !answer.text.includes(challenge)) {
      throw new Invalid({ endpoint: `The address did not echo the verification challenge (it answered HTTP ${answer.status}; see /webhooks)` });
    }
  };
}
