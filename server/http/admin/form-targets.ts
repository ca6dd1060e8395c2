import { Router } from 'express';
import type { Context } from '../../context.js';
import { adminRefererPath, renderPage, safeNext } from '../respond.js';

type Params = Record<string, string>;

/**
 * The admin's POST-only targets and the page each form is on. A refused form is shown again at its
 * target's address; reloading it, or opening it from the history, sends a GET there, which leads to
 * that page rather than to a 404. (The create forms' targets, /admin/incidents and /admin/maintenance,
 * are lists of their own: incident-lists.ts.)
 */
const FORM_PAGES: [target: string, page: (p: Params) => string][] = [
  ['/admin/incidents/:id/updates', (p) => `/admin/incidents/${p.id}#post-update`],
  ['/admin/incidents/:id/personal-data', (p) => `/admin/incidents/${p.id}#data-protection`],
  ['/admin/data-protection/:id/notified', (p) => `/admin/incidents/${p.id}#data-protection`],
  ['/admin/incidents/:id/postmortem', (p) => `/admin/incidents/${p.id}#postmortem`],
  ['/admin/incidents/:id/postmortem/revert', (p) => `/admin/incidents/${p.id}#postmortem`],
  ['/admin/alert-drafts/:id/publish', () => '/admin'],
  ['/admin/alert-drafts/:id/discard', () => '/admin'],
  ['/admin/groups', () => '/admin/components'],
  ['/admin/components/:id/move', () => '/admin/components'],
  ['/admin/groups/:id/move', () => '/admin/components'],
  ['/admin/account/sign-out-others', () => '/admin/account'],
  ['/admin/users/:id/role', () => '/admin/users'],
  ['/admin/api-keys/:id/hold-alerts', () => '/admin/api-keys'],
  ['/admin/settings/branding', () => '/admin/settings#branding'],
  ['/admin/settings/logo', () => '/admin/settings#logo'],
  ['/admin/settings/logo/remove', () => '/admin/settings#logo'],
  ['/admin/settings/display', () => '/admin/settings#display'],
  ['/admin/settings/time-zone', () => '/admin/settings#time-zone'],
  ['/admin/settings/embed', () => '/admin/settings#embed'],
  ['/admin/settings/subscriptions', () => '/admin/settings#subscriptions'],
  ['/admin/subscribers/export.csv', () => '/admin/subscribers/export'],
  ['/admin/subscribers/webhooks/:id/enable', () => '/admin/subscribers/webhooks'],
  ['/admin/subscribers/webhooks/:id/delete', () => '/admin/subscribers/webhooks'],
  ['/admin/chat/:id/test', () => '/admin/chat'],
  ['/admin/chat/:id/enable', () => '/admin/chat'],
  ['/admin/chat/:id/delete', () => '/admin/chat'],
  ['/admin/mail/retry', () => '/admin/mail'],
];

/** GET of a POST-only admin target: a 303 to the page its form is on (behind the same session and role checks). */
export function formTargetRoutes(ctx: Context): Router {
  const router = Router();
  for (const [target, page] of FORM_PAGES) {
    router.get(target, (req, res) => {
      const params = Object.fromEntries(Object.entries(req.params).map(([k, v]) => [k, encodeURIComponent(String(v))]));
      res.redirect(303, page(params));
    });
  }
  // The password again: its page is the one that asked for it (shown at the address being opened).
  // Reloaded after a wrong password, it asks again, then leads where the operator came from.
  router.get('/admin/confirm', (req, res) => {
    const from = adminRefererPath(ctx, req);
    const next = safeNext(req.query.next, from && !from.startsWith('/admin/confirm') ? from : '/admin');
    renderPage(ctx, res, 'admin/confirm-access', { title: 'Confirm it is you', next, values: {} });
  });
  return router;
}

/**
 * GET /admin/logout, open to anyone as its POST is: signed in, a page with the button (signing out on a
 * GET would let any page sign an operator out); signed out, the login page.
 */
export function signOutPage(ctx: Context): Router {
  const router = Router();
  router.get('/admin/logout', (_req, res) => {
    if (!res.locals.user) return res.redirect(303, '/admin/login');
    renderPage(ctx, res, 'admin/sign-out', { title: 'Sign out' });
  });
  return router;
}
