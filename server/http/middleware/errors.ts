import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { Context } from '../../context.js';
import { HttpError, Invalid, NotFound } from '../../errors.js';
import { audit } from '../../domain/access/audit.js';
import { userActor } from '../locals.js';
import { adminRefererPath, formBody, renderPage } from '../respond.js';
import { loggablePath } from './request-log.js';
import { tooLarge } from './body.js';
import { networkOf } from '../../lib/client-address.js';
import { storageProblemOf, type StorageProblem } from '../../db/storage.js';

/** Whether an error is answered in JSON (the APIs, and a client that takes JSON but not HTML) rather than as a page. */
export function wantsJson(req: Request): boolean {
  return req.path.startsWith('/api/') || (!req.accepts('html') && Boolean(req.accepts('json')));
}

/**
 * Errors raised by Express and body-parser before our code runs (bad JSON, too large, bad charset,
 * undecodable path or body) carry a 4xx status: they become 4xx like any other bad input.
 */
function fromFramework(err: unknown): HttpError | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const type = 'type' in err ? err.type : undefined;
  const raw = 'status' in err ? err.status : 'statusCode' in err ? err.statusCode : undefined;
  const status = typeof raw === 'number' ? raw : undefined;
  switch (type) {
    case 'entity.too.large':
      return tooLarge('limit' in err && typeof err.limit === 'number' ? err.limit : 1024 * 1024);
    case 'entity.parse.failed':
      return new HttpError(400, 'invalid_json', 'The request body is not valid JSON');
    case 'parameters.too.many':
      return new HttpError(413, 'too_many_fields', 'The form has too many fields');
    case 'querystring.parse.rangeError':
      return new HttpError(400, 'form_too_deep', 'The form nests its fields in too many brackets');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'unsupported_encoding', 'The request body has an unsupported encoding or charset');
  }
  if (status !== undefined && status >= 400 && status < 500) {
    return new HttpError(status, 'bad_request', 'The request could not be read (bad encoding in its address or body)');
  }
  return undefined;
}

const NOT_SAVED: Record<StorageProblem, { code: string; message: string; retryAfter: number }> = {
  full: { code: 'storage_full', message: "Nothing was saved: the server's disk is full. Try again once space has been freed.", retryAfter: 60 },
  'read-only': {
    code: 'storage_read_only',
    message: "Nothing was saved: the server's storage is read-only. Try again once it can be written again.",
    retryAfter: 60,
  },
  locked: { code: 'database_locked', message: 'Nothing was saved: another process holds the database locked. Try again in a moment.', retryAfter: 5 },
  failing: { code: 'storage_failing', message: "Nothing was saved: the server's storage failed to write. Try again in a moment.", retryAfter: 30 },
};

/**
 * A write refused by the storage (SQLite's full disk, read-only database or file system, lock held
 * elsewhere, I/O error; the same from the file system for uploads): a 503 saying nothing was saved,
 * which it was not, since SQLite rolled the transaction back. Shown as the form's message, with what
 * was typed, so that it can be sent again once the storage is fine.
 */
function fromStorage(ctx: Context, err: unknown): HttpError | undefined {
  const code = err && typeof err === 'object' && 'code' in err && typeof err.code === 'string' ? err.code : '';
  if (!code.startsWith('SQLITE_') && !['ENOSPC', 'EDQUOT', 'EROFS'].includes(code)) return undefined;
  let problem = storageProblemOf(err);
  if (!problem) return undefined;
  // SQLite says "disk I/O error" for a write the file system refused: the probe knows which refusal.
  if (problem === 'failing') {
    const report = ctx.storage.check(true);
    problem = report.storage.problem ?? report.database.problem ?? problem;
  }
  const { code: name, message, retryAfter } = NOT_SAVED[problem];
  const http = new HttpError(503, name, message, { form: message });
  http.retryAfterSeconds = retryAfter;
  return http;
}

export const notFound: RequestHandler = (_req, _res, next) => next(new NotFound('Page not found'));

/** The one place errors become responses: a form again with its messages, an error page, or JSON. */
export function errorHandler(ctx: Context): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const storage = err instanceof HttpError ? undefined : fromStorage(ctx, err);
    const http = err instanceof HttpError ? err : (storage ?? fromFramework(err));
    if (!http) {
      (res.locals.log ?? ctx.log).error({ err, method: req.method, path: loggablePath(req) }, 'request failed');
    } else if (storage) {
      (res.locals.log ?? ctx.log).warn({ err, method: req.method, path: loggablePath(req) }, 'change refused: the storage cannot take it');
    }
    const status = http?.status ?? 500;
    // Every access refusal on the admin side and the management API goes to the audit log: one row each
    // for signed-in operators and API keys, tallied per network and minute for anonymous clients.
    if ((status === 401 || status === 403) && /^\/(admin|setup|api\/v1)(\/|$)/.test(req.path)) {
      try {
        const actor = res.locals.user ? userActor(res.locals.user) : res.locals.apiActor;
        if (actor) {
          audit(ctx.db, actor, 'auth.refused', loggablePath(req), { status, code: http?.code ?? '', method: req.method }, ctx.clock.now(), req.ip ?? '');
        } else {
          ctx.refusals.count('auth.refused', networkOf(req.ip), { paths: `${req.method} ${loggablePath(req)}`, statuses: status });
        }
      } catch (auditErr) {
        (res.locals.log ?? ctx.log).error({ err: auditErr }, 'could not write the audit log');
      }
    }
    // Refused before its body was read (no key, no session, too large): close rather than wait for the
    // rest of it on a kept-alive connection.
    if (!req.complete) res.set('Connection', 'close');
    if (http?.retryAfterSeconds) res.set('Retry-After', String(http.retryAfterSeconds));
    const code = http?.code ?? 'internal_error';
    const message = http?.message ?? 'Something went wrong on our side. The error was logged.';
    if (wantsJson(req)) {
      const omitted = http?.fieldsOmitted ? { fields_omitted: http.fieldsOmitted } : {};
      res.status(status).json({ error: { code, message, fields: http?.fields ?? {}, ...omitted } });
      return;
    }
    const form = res.locals.form;
    // An error about the form's fields (bad input, too many attempts, busy): the form again, with what
    // was typed and the messages.
    if (http && Object.keys(http.fields).length > 0 && form) {
      const values = formBody(req);
      // Nothing was done with this submission: it goes again under a fresh one-time token (its own may
      // stay reserved, as the storage could not give it back).
      if (storage) delete values._once;
      let data: Record<string, unknown> | undefined;
      try {
        data = form.data(values);
      } catch (dataErr) {
        // The form's page cannot be built (its incident was deleted meanwhile...): answer with that error instead.
        res.locals.form = undefined;
        return errorHandler(ctx)(dataErr, req, res, next);
      }
      renderPage(
        ctx,
        res,
        form.view,
        {
          ...data,
          values,
          errors: http.fields,
          // The summary's title (views/partials/admin/error-summary.hbs); it lists each field's message below it.
          formError: http.fields.form ?? (http instanceof Invalid ? 'Please correct the fields marked below.' : 'This was not done:'),
        },
        { status: http.status, layout: form.layout ?? 'admin' },
      );
      return;
    }
    try {
      const admin = req.path.startsWith('/admin') && Boolean(res.locals.user);
      renderPage(
        ctx,
        res,
        'public/error',
        {
          title: status === 404 ? 'Not found' : status === 410 ? 'No longer valid' : storage ? 'Not saved' : 'Error',
          status,
          message,
          nextStep: http?.nextStep,
          admin,
          adminBack: admin && req.method === 'POST' ? adminRefererPath(ctx, req) : undefined,
        },
        { layout: admin ? 'admin' : 'public', status },
      );
    } catch (renderErr) {
      // Never Express's default handler, which would print a stack trace.
      ctx.log.error({ err: renderErr }, 'error page failed to render');
      res.status(status).type('text').send(message);
    }
  };
}
