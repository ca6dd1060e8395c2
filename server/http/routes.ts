import { Router } from 'express';
import { formParser } from './middleware/body.js';
import type { Context } from '../context.js';
import { requireAdmin, requireUser } from './middleware/auth.js';
import { requireCsrf } from './middleware/csrf.js';
import { sessions } from './middleware/session.js';
import { oncePerSubmission } from './middleware/once.js';
import { lapsedForms } from './middleware/lapsed-form.js';
import { accountRoutes } from './admin/account.js';
import { confirmAccessRoutes } from './admin/reauth.js';
import { apiKeyRoutes } from './admin/api-keys.js';
import { auditRoutes } from './admin/audit.js';
import { authRoutes } from './admin/auth.js';
import { componentRoutes } from './admin/components.js';
import { componentStatusRoutes } from './admin/component-status.js';
import { incidentRoutes } from './admin/incidents.js';
import { communicationRoutes } from './admin/communications.js';
import { mailRoutes } from './admin/mail.js';
import { maintenanceRoutes } from './admin/maintenance.js';
import { settingsRoutes } from './admin/settings.js';
import { logoRemoveRoute, logoRoutes } from './admin/logo.js';
import { systemRoutes } from './admin/system.js';
import { subscriberImportRoute, subscriberRoutes } from './admin/subscribers.js';
import { endpointRoutes } from './admin/endpoints.js';
import { templateRoutes } from './admin/templates.js';
import { alertDraftRoutes } from './admin/alert-drafts.js';
import { formTargetRoutes, signOutPage } from './admin/form-targets.js';
import { incidentListRoutes } from './admin/incident-lists.js';
import { userRoutes } from './admin/users.js';
import { healthRoutes } from './health.js';
import { staticAssets } from './static-assets.js';
import { v1Routes } from './api/v1.js';
import { v2Routes, v2SubscriberRoutes } from './api/v2.js';
import { documentRoutes, notFoundRoute } from './public/documents.js';
import { integrationRoutes } from './api/integrations.js';
import { subscriptionRoutes } from './public/subscriptions.js';
import { webhookLinkRoutes } from './public/webhook-links.js';

/**
 * The route table: which routers answer where, and what stands in front of them, in order. The hottest
 * reads (the status page, the v2 JSON) are answered before any of this, by fast-path.ts.
 */
export function routes(ctx: Context): Router {
  const router = Router();
  router.use(staticAssets(ctx.root));
  // What the rest answers is made for one request (a subscriber's manage page, an API answer, a form's
  // result): no cache or CDN in front may keep it. The public documents say otherwise themselves
  // (snapshot/body.ts writeBody), as the static files above did (express.static keeps a header set before it).
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  // Public: health, every document of the snapshot, the subscription forms and links; then the APIs; then the admin.
  router.use(healthRoutes(ctx));
  // Before the documents: their router answers OPTIONS for every /api/v2 path with "GET, HEAD".
  router.use(v2SubscriberRoutes(ctx));
  router.use(documentRoutes(ctx));
  router.use(subscriptionRoutes(ctx));
  router.use(webhookLinkRoutes(ctx));
  router.use('/api/v2', v2Routes(ctx));
  router.use('/api/v1', v1Routes(ctx));
  router.use(adminRoutes(ctx));
  router.use(integrationRoutes(ctx));
  router.use(notFoundRoute(ctx));
  return router;
}

const ADMIN_ONLY = [
  '/admin/components',
  '/admin/groups',
  '/admin/templates',
  '/admin/users',
  '/admin/api-keys',
  '/admin/settings',
  '/admin/subscribers',
  '/admin/chat',
  '/admin/communications',
  '/admin/mail',
  '/admin/deliveries',
  '/admin/system',
  '/admin/data-protection',
  '/admin/audit',
  '/admin/audit.csv',
];

/** Everything behind a session: setup and login first, then operators' pages, then admins' pages. */
export function adminRoutes(ctx: Context): Router {
  const router = Router();
  const form = formParser(1024 * 1024, 2000);
  router.use(['/admin', '/setup'], sessions(ctx), (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  // Setup, login and logout read their small forms anonymously; every other form is read only once the
  // session says who sends it and that they may, so nobody can make the server read a megabyte first.
  router.use(['/setup', '/admin/login', '/admin/logout'], formParser(16 * 1024, 20));
  router.use(authRoutes(ctx));
  router.use(signOutPage(ctx));
  // A form sent just after its session ended is kept for its operator; back on it after signing in.
  router.use(lapsedForms(ctx));
  router.use(subscriberImportRoute(ctx));
  router.use(logoRoutes(ctx));
  router.use('/admin', requireUser);
  router.use(ADMIN_ONLY, requireAdmin);
  router.use('/admin', form, requireCsrf, oncePerSubmission(ctx));
  router.use(accountRoutes(ctx));
  router.use(confirmAccessRoutes(ctx));
  router.use(incidentRoutes(ctx));
  router.use(incidentListRoutes(ctx));
  router.use(alertDraftRoutes(ctx));
  router.use(maintenanceRoutes(ctx));
  router.use(componentRoutes(ctx));
  router.use(componentStatusRoutes(ctx));
  router.use(templateRoutes(ctx));
  router.use(userRoutes(ctx));
  router.use(apiKeyRoutes(ctx));
  router.use(settingsRoutes(ctx));
  router.use(logoRemoveRoute(ctx));
  router.use(endpointRoutes(ctx));
  router.use(subscriberRoutes(ctx));
  router.use(communicationRoutes(ctx));
  router.use(mailRoutes(ctx));
  router.use(systemRoutes(ctx));
  router.use(auditRoutes(ctx));
  // Last: a GET of a POST-only target leads to its form's page (reloading after a refused form).
  router.use(formTargetRoutes(ctx));
  return router;
}
