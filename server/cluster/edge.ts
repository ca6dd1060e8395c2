import type { AddressInfo } from 'node:net';
import { createViews, wireEdge } from '../compose.js';
import type { Config } from '../config.js';
import { createEdgeApp } from '../http/edge/app.js';
import { forwardToPrimary } from '../http/edge/forward.js';
import { snapshotFastPath } from '../http/fast-path.js';
import { UPGRADED_GRACE_MS } from '../http/connections/timeouts.js';
import { createPharosServer, listen, routeUpgrades } from '../http/server.js';
import { projectRoot } from '../lib/paths.js';
import type { Log } from '../log.js';
import { startRealtime, type LiveHub } from '../realtime/hub.js';
import { Replica } from './replication/replica.js';

export interface Edge {
  replica: Replica;
  live: LiveHub;
  port: number;
  stop(): Promise<void>;
}

/**
 * An edge (PHAROS_ROLE=edge): no database, no jobs, no mail. Every public document comes from the
 * replica of the primary's read model in Redis (fast path), its live viewers are its own and get each
 * change the replica applies, and everything else (the admin and its live connection, /api/v1, forms,
 * subscription links) is forwarded to PRIMARY_URL. Throws ConfigError when it cannot tell which page to
 * serve. With WEB_CONCURRENCY > 1 each HTTP worker is such an edge (main.ts).
 */
export async function runEdge(config: Config, log: Log, port = config.port, host = config.host): Promise<Edge> {
  const primaryUrl = config.primaryUrl;
  if (!primaryUrl) throw new Error('an edge needs PRIMARY_URL');
  const replica = new Replica({ config, log });
  try {
    await replica.start();
  } catch (err) {
    await replica.stop();
    throw err;
  }
  const root = projectRoot();
  const forward = forwardToPrimary(primaryUrl, log);
  const app = createEdgeApp({ config, log, replica, views: createViews(config, root), root, forward });
  const fast = snapshotFastPath({ config, snapshot: replica });
  const { http, guard } = createPharosServer({ config, log }, (req, res) => {
    if (!fast(req, res)) app(req, res);
  });
  const live = startRealtime({ config, log, snapshot: replica }, http);
  routeUpgrades(http, (req, socket, head) => forward.ws(req, socket, head));
  guard.screen();
  const unwire = wireEdge(replica, live);
  await listen(http, port, host);
  const status = replica.status();
  log.info(
    { page: status.page, version: status.version ?? null, primary: new URL(primaryUrl).host },
    status.ready ? 'edge serving the page from Redis' : 'edge started before any state reached Redis: forwarding reads to the primary until one does',
  );
  return {
    replica,
    live,
    port: (http.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        unwire();
        guard.stop();
        live.farewell();
        void live.io.close(() => {
          forward.close();
          void replica.stop().then(resolve);
        });
        http.closeIdleConnections();
        setTimeout(() => guard.closeUpgraded(), UPGRADED_GRACE_MS).unref();
        setTimeout(() => http.closeAllConnections(), 5000).unref();
      }),
  };
}
