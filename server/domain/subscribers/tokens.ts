import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Subscriber links carry `<subscriber id>.<HMAC>` tokens: unguessable without the server's secret,
 * never stored (not even hashed), and revocable by bumping token_version or the confirmation nonce.
 */
function mac(secret: string, purpose: string, id: string, salt: string | number): string {
  return createHmac('sha256', secret).update(`${purpose}:${id}:${salt}`).digest('base64url');
}

export function manageToken(secret: string, sub: { id: string; token_version: number }): string {
  return `${sub.id}.${mac(secret, 'manage', sub.id, sub.token_version)}`;
}

export function confirmToken(secret: string, id: string, nonce: string): string {
  return `${id}.${mac(secret, 'confirm', id, nonce)}`;
}

/** The subscriber id a token names, before it is checked. */
export function tokenSubject(token: string): string | undefined {
  const m = /^([a-z0-9]{1,64})\.[A-Za-z0-9_-]{43}$/.exec(token);
  return m?.[1];
}

export function sameToken(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** A webhook's unsubscribe link (Statuspage's `meta.unsubscribe`): removing the endpoint ends it. */
export function endpointToken(secret: string, endpointId: string): string {
  return `${endpointId}.${mac(secret, 'endpoint', endpointId, 1)}`;
}
