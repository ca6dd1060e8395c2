import type { RequestHandler } from 'express';
import type { FormContext } from '../locals.js';

/** Names the form a POST came from, so that Invalid input re-renders it with messages and the typed values. */
export function form(view: string, data: FormContext['data'] = () => ({}), layout: FormContext['layout'] = 'admin'): RequestHandler {
  return (_req, res, next) => {
    res.locals.form = { view, data, layout };
    next();
  };
}
