import express from 'express';
import type { Config } from '../../config.js';
import type { Replica } from '../../cluster/replication/replica.js';
import type { Log } from '../../log.js';
import type { Views } from '../../render/engine.js';
import { requestLog } from '../middleware/request-log.js';
import { securityHeaders } from '../security-headers.js';
import { staticAssets } from '../static-assets.js';
import type { Forward } from './forward.js';
import { forwardedToPrimary } from './primary-paths.js';
import { NOT_FOUND } from '../../snapshot/public-paths.js';
import { writeBody, type Body } from '../../snapshot/body.js';

export interface EdgeDeps {
  config: Config;
  log: Log;
  replica: Replica;
  views: Views;
  root: string;
  forward: Forward;
}

const UNAVAILABLE =
  'This status page is up, but the server that takes sign-ins, subscriptions and API calls cannot be reached from here right now. Please try again in a minute.';

/**
 * What an edge answers behind the fast path (which serves every public document, and the not-found
 * document of every document path, from the replica): its own health, the static files, what only a
 * primary answers forwarded to it (primary-paths.ts; a clear 503, JSON for the APIs, while it cannot be
 * reached), and anything else the replica's not-found page: no made-up URL costs the primary anything.
 */
export function createEdgeApp(deps: EdgeDeps): express.Express {
  const { config, replica, views } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);
  app.use(requestLog(deps));
  const headers = securityHeaders(config);
  app.get('/healthz', headers, (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok', role: 'edge' });
  });
  // Ready once it holds a state: with Redis or the primary away it keeps serving that state (and says so).
  app.get('/readyz', headers, (_req, res) => {
    const s = replica.status();
    res
      .status(s.ready ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({
        status: s.ready ? 'ready' : 'not ready',
        role: 'edge',
        checks: {
          replica: { ok: s.ready, page: s.page ?? null, version: s.version ?? null, changedAt: s.changedAt ?? null },
          redis: { ok: s.redis === 'connected' },
        },
      });
  });
  app.use(headers, staticAssets(deps.root));
  // Any other path is no primary's business: the replica's not-found document, as the primary answers it.
  app.use((req, res, next) => {
    if (forwardedToPrimary(req.method, req.path)) return next();
    let body: Body | undefined;
    try {
      body = replica.current().bodies.get(req.path.startsWith('/api/') ? NOT_FOUND.json : NOT_FOUND.page);
    } catch {
      // No state replicated yet: the primary answers meanwhile.
    }
    if (!body) return next();
    headers(req, res, () => writeBody(req, res, body, req.path.startsWith('/api/') ? { 'Access-Control-Allow-Origin': '*' } : {}, 404));
  });
  app.use((req, res) => {
    deps.forward.web(req, res, (out) => {
      out.setHeader('Retry-After', '30');
      out.setHeader('Cache-Control', 'no-store');
      if (req.path.startsWith('/api/') || !req.accepts('html')) {
        res.status(503).json({ error: { code: 'primary_unavailable', message: UNAVAILABLE, fields: {} } });
        return;
      }
      headers(req, res, () => {
        const html = views.render(
          'public/error',
          { pageName: config.pageName, timeZone: config.timeZone, title: 'Temporarily unavailable', status: 503, message: UNAVAILABLE },
          'public',
        );
        res.status(503).type('html').send(html);
      });
    });
  });
  return app;
}
