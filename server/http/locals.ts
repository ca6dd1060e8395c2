import type { Response } from 'express';
import type { Actor } from '../domain/access/actors.js';
import { Unauthorized } from '../errors.js';
import type { Log } from '../log.js';
import type { Layout } from '../render/engine.js';
import type { User } from '../domain/access/users.js';

/** What a request carries through res.locals, typed once. */
export interface FormContext {
  view: string;
  layout?: Layout;
  /** Data the form's page needs besides the typed values and errors (lists to choose from...), given what was typed. */
  data: (values: Record<string, string | string[]>) => Record<string, unknown>;
}

declare module 'express-serve-static-core' {
  interface Locals {
    user?: User;
    sessionId?: string;
    csrfToken?: string;
    apiActor?: Actor;
    form?: FormContext;
    /** The operator whose session just ended, and the CSRF token their forms carried. */
    lapsed?: { userId: string; csrfToken: string };
    /** A saved form to show again as typed on this page (middleware/lapsed-form.ts). */
    restoreId?: string;
    /** The storage refused this form's one-time token: the form refuses it the same way (middleware/once.ts). */
    storageRefused?: unknown;
    /** The request's logger, carrying its request id (middleware/request-log.ts). */
    log?: Log;
  }
}

export function userActor(user: User, ip?: string): Actor {
  return { type: 'user', id: user.id, email: user.email, name: user.name, ...(ip ? { ip } : {}) };
}

/** The signed-in operator as the actor of a change (the routes behind requireUser always have one). */
export function actorOf(res: Response): Actor {
  if (!res.locals.user) throw new Unauthorized();
  return userActor(res.locals.user, res.req.ip);
}
