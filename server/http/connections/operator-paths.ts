import { ASSET_DIRS } from '../../lib/paths.js';

/**
 * What operators need when the public side is full: the admin (and its live connection at
 * /admin/live/), the first admin's setup, the management API, the alert receivers, the health checks
 * of their monitors and load balancers, and the static files the admin's pages load. The public pages
 * are not here, nor /socket.io/.
 */
const PREFIXES = ['/admin', '/setup', '/api/v1', '/api/integrations', '/healthz', '/readyz', ...ASSET_DIRS.map((dir) => `/${dir}`)];

export function isOperatorPath(url: string | undefined): boolean {
  if (!url) return false;
  return PREFIXES.some((p) => url.startsWith(p) && (url.length === p.length || '/?'.includes(url.charAt(p.length))));
}
