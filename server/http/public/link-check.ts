import type { Context } from '../../context.js';
import { findEndpoint } from '../../domain/subscribers/endpoints.js';
import { confirmationOf, linkOf } from '../../domain/subscribers/subscribers.js';
import { endpointToken, sameToken, tokenSubject } from '../../domain/subscribers/tokens.js';

/** The links that carry a subscriber's or a webhook's token, by their path's first segments. */
export const LINK_PATHS = ['/subscriptions/confirm/:token', '/subscriptions/manage/:token', '/unsubscribe/:token', '/webhooks/unsubscribe/:token'];

/** The webhook a `/webhooks/unsubscribe/:token` link removes, if the token is one of ours. */
export function webhookOf(ctx: Pick<Context, 'db' | 'secret'>, token: string) {
  const id = tokenSubject(token);
  const e = id ? findEndpoint(ctx.db, id) : undefined;
  return e && e.kind === 'webhook' && sameToken(token, endpointToken(ctx.secret, e.id)) ? e : undefined;
}

/**
 * Whether a link's token is one Pharos made (its page answers, or says the link is no longer valid)
 * rather than a guess (its page would be a 404). Checked before anything is answered: the HMAC and one
 * row by its key, the same work the link's route does.
 */
export function knownLink(ctx: Context, path: string): boolean {
  let token: string;
  try {
    token = decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
  } catch {
    return false;
  }
  if (path.startsWith('/subscriptions/confirm/')) return confirmationOf(ctx, token) !== undefined;
  if (path.startsWith('/webhooks/unsubscribe/')) return webhookOf(ctx, token) !== undefined;
  return linkOf(ctx, token) !== undefined;
}
