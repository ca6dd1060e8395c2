import type { Actor } from '../domain/actors.js';
import type { Layout } from '../render/engine.js';
import type { User } from '../domain/users.js';

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
  }
}

export function userActor(user: User): Actor {
  return { type: 'user', id: user.id, email: user.email, name: user.name };
}
