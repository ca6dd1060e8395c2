import type { RequestHandler } from 'express';
import type { Context } from '../../context.js';
import { HttpError } from '../../errors.js';
import { field, formBody } from '../respond.js';

/** The hidden field a form carries its one-time token in (views/partials/admin/once.hbs). */
export const ONCE_FIELD = '_once';
const TOKEN = /^[A-Za-z0-9_-]{16,64}$/;

/**
 * A form's POST carrying a one-time token is carried out once: the token is reserved before the
 * handler runs, and the redirect the handler answers with is recorded for it. The same token again
 * (the back button and resubmit, a double click, a browser retrying) is sent where the first one led,
 * and nothing is created twice. A submission that fails (bad input) gives its token back, so the form
 * shown again with its messages can be sent once more.
 */
export function oncePerSubmission(ctx: Context): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'POST' || !res.locals.user) return next();
    const token = field(formBody(req), ONCE_FIELD);
    if (token === undefined || !TOKEN.test(token)) return next();
    const userId = res.locals.user.id;
    const reserved = ctx.db
      .prepare('INSERT OR IGNORE INTO form_submissions (token, user_id, location, created_at) VALUES (?, ?, NULL, ?)')
      .run(token, userId, ctx.clock.now().toISOString()).changes;
    if (!reserved) {
      const first = ctx.db.prepare('SELECT user_id, location FROM form_submissions WHERE token = ?').get(token) as
        { user_id: string; location: string | null } | undefined;
      if (first?.user_id === userId && first.location) return res.redirect(303, first.location);
      return next(
        new HttpError(409, 'already_submitted', 'This form was already sent once. Open the dashboard to see what it did, or reload the form to send it again.'),
      );
    }
    const redirect = res.redirect.bind(res) as (status: number, url: string) => void;
    // Express's redirect(status, url) is what every admin handler answers a success with.
    res.redirect = (a: number | string, b?: number | string) => {
      const [status, url] = typeof a === 'number' ? [a, String(b)] : [typeof b === 'number' ? b : 302, a];
      ctx.db.prepare('UPDATE form_submissions SET location = ? WHERE token = ?').run(url, token);
      redirect(status, url);
    };
    res.on('finish', () => {
      if (res.statusCode >= 400) ctx.db.prepare('DELETE FROM form_submissions WHERE token = ? AND location IS NULL').run(token);
    });
    next();
  };
}
