import { Router } from 'express';
import type { Context } from '../../context.js';
import { Unauthorized } from '../../errors.js';
import { readNotice, type Source } from '../../integrations/payload.js';
import { receiveAlerts } from '../../integrations/receive.js';
import { requireApiKey } from '../middleware/auth.js';
import { jsonParser } from '../middleware/body.js';

/**
 * Alerts in: `POST /api/integrations/alertmanager` (Alertmanager's webhook, version 4) and
 * `/api/integrations/grafana` (Grafana alerting's webhook contact point), authenticated by an API key
 * (`Authorization: Bearer <key>`, which alertmanager.yml's `http_config.authorization` sends). A 2xx
 * only once the change is committed; a 4xx names what will never succeed (the sender drops it); a 5xx
 * only for a fault worth retrying (Alertmanager retries those).
 */
export function integrationRoutes(ctx: Context): Router {
  const router = Router();
  for (const source of ['alertmanager', 'grafana'] as const satisfies readonly Source[]) {
    router.post(`/api/integrations/${source}`, requireApiKey(ctx, 'alerts'), jsonParser(1024 * 1024), (req, res) => {
      if (!res.locals.apiActor) throw new Unauthorized();
      const received = receiveAlerts(ctx, res.locals.apiActor, readNotice(source, req.body));
      res.status(received.result === 'opened' ? 201 : 200).json(received);
    });
  }
  return router;
}
