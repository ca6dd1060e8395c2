import { createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Context } from '../../context.js';
import { HttpError } from '../../errors.js';
import { field, formBody } from '../respond.js';
import { storageProblemOf } from '../../db/storage.js';
import { CHANGED, RESENT_PARAM, resentKind, withParam } from './once-notice.js';

/** The hidden field a form carries its one-time token in (views/partials/admin/once.hbs). */
export const ONCE_FIELD = '_once';
const TOKEN = /^[A-Za-z0-9_-]{16,64}$/;

/**
 * A form's POST carrying a one-time token is carried out once: the token is reserved before the
 * handler runs, and the redirect the handler answers with is recorded for it. The same token again
 * (the back button and resubmit, a double click, a browser retrying) is sent where the first one led,
 * with a notice saying so (resentNotice), and nothing is created twice. A submission that fails (bad input) gives its token back, so the form
 * shown again with its messages can be sent once more.
 */
export function oncePerSubmission(ctx: Context): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'POST' || !res.locals.user) return next();
    const token = field(formBody(req), ONCE_FIELD);
    if (token === undefined || !TOKEN.test(token)) return next();
    const userId = res.locals.user.id;
    const values = formBody(req);
    const bodyHash = createHash('sha256')
      .update(JSON.stringify(Object.entries(values).filter(([name]) => name !== '_csrf')))
      .digest('base64url');
    let reserved: number;
    try {
      reserved = ctx.db
        .prepare('INSERT OR IGNORE INTO form_submissions (token, user_id, body_hash, location, created_at) VALUES (?, ?, ?, NULL, ?)')
        .run(token, userId, bodyHash, ctx.clock.now().toISOString()).changes;
    } catch (err) {
      // The storage refuses writes (a full disk, a lock held elsewhere): the form's own change is not
      // tried; its route names the form, which comes back as typed with a 503 (middleware/form.ts).
      if (!storageProblemOf(err)) throw err;
      res.locals.storageRefused = err;
      return next();
    }
    if (!reserved) {
      const first = ctx.db.prepare('SELECT user_id, body_hash, location FROM form_submissions WHERE token = ?').get(token) as
        { user_id: string; body_hash: string; location: string | null } | undefined;
      // The same form again (back and send, a double click), as it was or changed since: where the first one
      // led, saying that nothing was done twice (and, if it was changed, that the changes were not sent).
      if (first?.user_id === userId && first.location) {
        const changed = first.body_hash !== bodyHash;
        return res.redirect(303, withParam(first.location, RESENT_PARAM, `${resentKind(req.baseUrl + req.path)}${changed ? CHANGED : ''}`));
      }
      // Still being carried out, or another operator's form: not done twice either.
      return next(
        new HttpError(409, 'already_submitted', 'This form was already sent once. Open the dashboard to see what it did, or reload the form to send it again.'),
      );
    }
    const redirect = res.redirect.bind(res) as (status: number, url: string) => void;
    // Express's redirect(status, url) is what every admin handler answers a success with.
    res.redirect = (a: number | string, b?: number | string) => {
      const [status, url] = typeof a === 'number' ? [a, String(b)] : [typeof b === 'number' ? b : 302, a];
      try {
        ctx.db.prepare('UPDATE form_submissions SET location = ? WHERE token = ?').run(url, token);
      } catch (err) {
        // The change is committed: it is answered as done, even if where it led could not be noted.
        ctx.log.warn({ err }, 'could not note where a one-time form led');
      }
      redirect(status, url);
    };
    // A refused form (4xx: bad input, a wrong password) gives its token back, so that it can be sent again
    // once corrected; so does a request that ended without an answer. A 5xx keeps it: the change may
    // have been committed.
    // (After the answer: a storage that refuses it must not become an uncaught exception.)
    const release = () => {
      try {
        ctx.db.prepare('DELETE FROM form_submissions WHERE token = ? AND location IS NULL').run(token);
      } catch (err) {
        ctx.log.warn({ err }, 'could not give back a one-time form token');
      }
    };
    res.on('finish', () => {
      if (res.statusCode >= 400 && res.statusCode < 500) release();
    });
    res.on('close', () => {
      if (!res.writableFinished) release();
    });
    next();
  };
}

/**
 * A form that only shows something (a preview) and is meant to be sent again: its token is given back,
 * so that the real submission of the same form is carried out.
 */
export function releaseOnce(ctx: Context, req: Request): void {
  const token = field(formBody(req), ONCE_FIELD);
  if (token !== undefined && TOKEN.test(token)) ctx.db.prepare('DELETE FROM form_submissions WHERE token = ? AND location IS NULL').run(token);
}
