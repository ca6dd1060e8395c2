import type { IncomingMessage, ServerResponse } from 'node:http';
import { securityHeaders } from './security-headers.js';
import type { Config } from '../config.js';
import { documentKey, QUERY_DOCUMENTS } from '../snapshot/documents.js';
import type { ReadModel } from '../snapshot/snapshot.js';
import { writeBody } from '../snapshot/body.js';
import { isDocumentPath, notFoundKey } from '../snapshot/public-paths.js';

/** The headers helmet sets, computed once by running it against a recorder. */
function helmetHeaders(config: Config): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string | number | string[]) => {
      headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name];
    },
  };
  securityHeaders(config)({} as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  return headers;
}

/**
 * Every public document (the status page, the v2 JSON, incident pages, the history, notices, calendars,
 * the subscribe form, the feeds and badges) answered before the Express stack: the read model's prebuilt bytes with
 * precomputed headers, the same headers Express would send; a document path it holds nothing at
 * (public-paths.ts), with its not-found document and a 404. Anything else, and any method but GET and
 * HEAD, goes on (to Express, or on an edge to the primary). Returns whether it answered. The read model
 * is the snapshot on the primary, and the replica of it on an edge.
 */
export function snapshotFastPath(deps: { config: Config; snapshot: ReadModel }): (req: IncomingMessage, res: ServerResponse) => boolean {
  const security = helmetHeaders(deps.config);
  const withCors = { ...security, 'Access-Control-Allow-Origin': '*' };
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    let body;
    let found = true;
    try {
      // The query string is read only where it names another document (a history page, a component's feed or badge).
      const params = q !== -1 && QUERY_DOCUMENTS.has(path) ? new URLSearchParams(url.slice(q + 1)) : undefined;
      const bodies = deps.snapshot.current().bodies;
      body = bodies.get(documentKey(path, { page: params?.get('page'), component: params?.get('component') }));
      // A document path with nothing there (an unknown incident, a page past the last): the read model's
      // not-found document, here too, never a rendering (nor, on an edge, a request to the primary).
      if (!body && isDocumentPath(path)) {
        found = false;
        body = bodies.get(notFoundKey(path));
      }
    } catch {
      // No state could ever be built: Express answers (and logs) the error; the process stays up.
      return false;
    }
    if (!body) return false;
    writeBody(req, res, body, path.startsWith('/api/v2/') ? withCors : security, found ? 200 : 404);
    return true;
  };
}
