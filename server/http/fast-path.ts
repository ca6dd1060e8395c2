import type { IncomingMessage, ServerResponse } from 'node:http';
import { securityHeaders } from './security-headers.js';
import type { Context } from '../context.js';
import { writeBody } from '../snapshot/body.js';

/** The headers helmet sets, computed once by running it against a recorder. */
function helmetHeaders(ctx: Context): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string | number | string[]) => {
      headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name];
    },
  };
  securityHeaders(ctx)({} as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  return headers;
}

/**
 * The hottest reads (the status page and the v2 JSON) answered before the Express stack: the snapshot's
 * prebuilt bytes with precomputed headers, the same headers Express would send. Anything else, and any
 * method but GET and HEAD, goes to Express. Returns whether it answered.
 */
export function snapshotFastPath(ctx: Context): (req: IncomingMessage, res: ServerResponse) => boolean {
  const security = helmetHeaders(ctx);
  const withCors = { ...security, 'Access-Control-Allow-Origin': '*' };
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path !== '/' && !path.startsWith('/api/v2/')) return false;
    let body;
    try {
      body = ctx.snapshot.current().bodies.get(path);
    } catch {
      // No state could ever be built: Express answers (and logs) the error; the process stays up.
      return false;
    }
    if (!body) return false;
    writeBody(req, res, body, path === '/' ? security : withCors);
    return true;
  };
}
