/**
 * What an edge forwards to its primary: the paths only a primary answers (the admin and its live
 * connection, the first admin's setup, the management API, the alert receivers, the public's forms and
 * its subscriber and webhook links). Everything else an edge answers itself, from its replica: a
 * document, or the replica's not-found document (http/edge/app.ts), so that no made-up URL sent to an
 * edge costs its primary anything.
 */
const PREFIXES = ['/admin', '/setup', '/api/v1', '/api/integrations', '/subscriptions', '/unsubscribe', '/webhooks/unsubscribe'];

/** The public's forms, which only a primary can take (the same paths as GETs are documents). */
const FORMS = /^\/(?:subscribe|api\/v2\/subscribers\.json|incidents\/[a-z0-9]{1,32}\/follow)$/;

export function forwardedToPrimary(method: string | undefined, path: string): boolean {
  if (PREFIXES.some((p) => path === p || path.startsWith(`${p}/`))) return true;
  return method !== 'GET' && method !== 'HEAD' && FORMS.test(path);
}
