import { Router } from 'express';
import { formParser } from '../middleware/body.js';
import type { Context } from '../../context.js';
import { requireAdmin, requireUser } from '../middleware/auth.js';
import { requireCsrf } from '../middleware/csrf.js';
import { sessions } from '../middleware/session.js';
import { accountRoutes } from './account.js';
import { confirmAccessRoutes } from './reauth.js';
import { apiKeyRoutes } from './api-keys.js';
import { auditRoutes } from './audit.js';
import { authRoutes } from './auth.js';
import { componentRoutes } from './components.js';
import { incidentRoutes } from './incidents.js';
import { communicationRoutes } from './communications.js';
import { mailRoutes } from './mail.js';
import { maintenanceRoutes } from './maintenance.js';
import { settingsRoutes } from './settings.js';
import { systemRoutes } from './system.js';
import { subscriberImportRoute, subscriberRoutes } from './subscribers.js';
import { userRoutes } from './users.js';

const ADMIN_ONLY = [
  '/admin/components',
  '/admin/groups',
  '/admin/users',
  '/admin/api-keys',
  '/admin/settings',
  '/admin/subscribers',
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
  router.use(subscriberImportRoute(ctx));
  router.use('/admin', requireUser);
  router.use(ADMIN_ONLY, requireAdmin);
  router.use('/admin', form, requireCsrf);
  router.use(accountRoutes(ctx));
  router.use(confirmAccessRoutes(ctx));
  router.use(incidentRoutes(ctx));
  router.use(maintenanceRoutes(ctx));
  router.use(componentRoutes(ctx));
  router.use(userRoutes(ctx));
  router.use(apiKeyRoutes(ctx));
  router.use(settingsRoutes(ctx));
  router.use(subscriberRoutes(ctx));
  router.use(communicationRoutes(ctx));
  router.use(mailRoutes(ctx));
  router.use(systemRoutes(ctx));
  router.use(auditRoutes(ctx));
  return router;
}
