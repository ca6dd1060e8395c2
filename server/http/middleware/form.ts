import type { RequestHandler } from 'express';
import type { FormContext } from '../locals.js';

/** Names the form a POST came from, so that Invalid input re-renders it with messages and the typed values. */
export function form(view: string, data: FormContext['data'] = () => ({}), layout: FormContext['layout'] = 'admin'): RequestHandler {
  return (_req, res, next) => {
    res.locals.form = { view, data, layout };
    // Its one-time token could not be stored (a full disk, a lock held elsewhere): neither can the form's
    // change, which is not tried, and the form comes back with what was typed (middleware/errors.ts).
    if (res.locals.storageRefused) return next(res.locals.storageRefused);
    next();
  };
}
