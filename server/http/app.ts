import express from 'express';
import helmet from 'helmet';
import { join } from 'node:path';
import type { Context } from '../context.js';
import { adminRoutes } from './admin/index.js';
import { healthRoutes } from './health.js';
import { v1Routes } from './api/v1.js';
import { v2Routes } from './api/v2.js';
import { errorHandler, notFound } from './middleware/errors.js';
import { requestLog } from './middleware/request-log.js';
import { calendarRoutes } from './public/calendar.js';
import { noticeRoutes } from './public/notices.js';
import { publicRoutes } from './public/pages.js';
import { subscriptionRoutes } from './public/subscriptions.js';

/** helmet with our Content-Security-Policy: every response carries these headers. */
export function securityHeaders(ctx: Context): ReturnType<typeof helmet> {
  const origin = new URL(ctx.config.publicUrl);
  const wsOrigin = `${origin.protocol === 'https:' ? 'wss' : 'ws'}://${origin.host}`;
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', ...ctx.config.markdownImageHosts],
        connectSrc: ["'self'", wsOrigin],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    strictTransportSecurity: origin.protocol === 'https:',
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
  });
}

/** The Express app, without listening: main.ts and the tests listen. */
export function createApp(ctx: Context): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', ctx.config.trustProxy);
  app.use(requestLog(ctx));
  app.use(securityHeaders(ctx));
  // Static files under their own prefixes only: other paths (the hot ones) never cost a filesystem stat.
  for (const dir of ['css', 'js']) app.use(`/${dir}`, express.static(join(ctx.root, 'public', dir), { index: false, maxAge: '1h' }));
  app.use(healthRoutes(ctx));
  app.use(calendarRoutes(ctx));
  app.use(publicRoutes(ctx));
  app.use(subscriptionRoutes(ctx));
  app.use(noticeRoutes(ctx));
  app.use('/api/v2', v2Routes(ctx));
  app.use('/api/v1', v1Routes(ctx));
  app.use(adminRoutes(ctx));
  app.use(notFound);
  app.use(errorHandler(ctx));
  return app;
}
