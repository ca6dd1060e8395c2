import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Log } from '../../log.js';

const INCOMING_ID = /^[\w.-]{1,64}$/;
// Subscriber links (/confirm/, /manage/, /unsubscribe/) and the setup link carry tokens in their path
// or query: a log never shows a query, nor any long opaque segment (our ids are shorter).
const OPAQUE = /^[\w.~-]{24,}$/;

/** The request's path as logged: no query string, long opaque segments replaced. */
export function loggablePath(req: Request): string {
  const path = (req.originalUrl ?? req.url).split('?')[0] ?? '';
  return path
    .split('/')
    .map((segment) => (OPAQUE.test(segment) ? ':redacted' : segment.slice(0, 80)))
    .join('/')
    .slice(0, 300);
}

/**
 * One JSON line per request through Express (the status page and v2 reads answered by the fast path are
 * not logged: they are the hot path) with a request id, taken from X-Request-Id when a proxy sent a
 * sane one, and sent back in X-Request-Id. Never a query string, a body, a cookie or a header's value.
 */
export function requestLog(deps: { log: Log }): RequestHandler {
  return (req, res, next) => {
    const header = req.get('x-request-id');
    const id = header && INCOMING_ID.test(header) ? header : randomUUID();
    res.setHeader('X-Request-Id', id);
    const log = deps.log.child({ req_id: id });
    res.locals.log = log;
    const started = performance.now();
    res.on('finish', () => {
      const actor = res.locals.apiActor;
      const line = {
        method: req.method,
        path: loggablePath(req),
        status: res.statusCode,
        ms: Math.round(performance.now() - started),
        ip: req.ip,
        ...(res.locals.user ? { user: res.locals.user.id } : {}),
        ...(actor?.type === 'api_key' ? { api_key: actor.id } : {}),
      };
      if (res.statusCode >= 500) log.error(line, 'request');
      else log.info(line, 'request');
    });
    next();
  };
}
