import { Router } from 'express';
import type { Context } from '../../context.js';
import { renderPage } from '../respond.js';

/** The page's identity and configuration as Pharos runs it (admins only; set through the environment). */
export function settingsRoutes(ctx: Context): Router {
  const router = Router();
  router.get('/admin/settings', (_req, res) => {
    const c = ctx.config;
    renderPage(ctx, res, 'admin/settings', {
      title: 'Settings',
      nav: 'settings',
      pageId: ctx.pageId,
      settings: [
        { name: 'PAGE_NAME', value: c.pageName },
        { name: 'PUBLIC_URL', value: c.publicUrl },
        { name: 'TIME_ZONE', value: c.timeZone },
        { name: 'DATA_DIR', value: c.dataDir },
      ],
    });
  });
  return router;
}
