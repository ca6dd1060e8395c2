import express from 'express';
import type { Context } from '../context.js';
import { errorHandler, notFound } from './middleware/errors.js';
import { requestLog } from './middleware/request-log.js';
import { routes } from './routes.js';
import { securityHeaders } from './security-headers.js';

/** The Express app, without listening: main.ts and the tests listen. */
export function createApp(ctx: Context): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', ctx.config.trustProxy);
  app.use(requestLog(ctx));
  app.use(securityHeaders(ctx.config));
  app.use(routes(ctx));
  app.use(notFound);
  app.use(errorHandler(ctx));
  return app;
}
