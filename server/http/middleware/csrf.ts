import { createHmac, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { Forbidden } from '../../errors.js';

export function csrfTokenFor(secret: string, subject: string): string {
  return createHmac('sha256', secret).update(`csrf:${subject}`).digest('base64url');
}

/** Every state-changing form carries the token bound to its session (or anonymous cookie). */
export const requireCsrf: RequestHandler = (req, res, next) => {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  const body: unknown = req.body;
  const sent = body && typeof body === 'object' && '_csrf' in body ? body._csrf : undefined;
  const expected = res.locals.csrfToken;
  if (typeof sent !== 'string' || !expected || sent.length !== expected.length || !timingSafeEqual(Buffer.from(sent), Buffer.from(expected))) {
    return next(new Forbidden('This form has expired or was not sent from Pharos. Reload the page and try again.'));
  }
  next();
};
