import { Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import type { Log } from '../../log.js';

export interface Forward {
  /** Forwards a request to the primary; `unavailable` answers when the primary cannot be reached. */
  web(req: IncomingMessage, res: ServerResponse, unavailable: (res: ServerResponse) => void): void;
  /** Forwards a WebSocket upgrade (the admin's live connection) to the primary. */
  ws(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

/**
 * An edge's way to its primary (PRIMARY_URL) for everything it does not serve itself: the admin, the
 * management API, forms, subscription links, the operators' live connection. http-proxy-3, keeping
 * connections alive, adding X-Forwarded-For/-Proto/-Host (the primary trusts them with TRUST_PROXY)
 * and the edge's X-Request-Id, so that both logs name the same request. The body is streamed, never
 * read here: the primary applies its own limits and checks.
 */
export function forwardToPrimary(primaryUrl: string, log: Log): Forward {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const proxy = createProxyServer({ target: primaryUrl, xfwd: true, agent, proxyTimeout: 60_000, timeout: 60_000 });
  proxy.on('proxyReq', (proxyReq, _req, res) => {
    const id = res.getHeader('X-Request-Id');
    if (typeof id === 'string') proxyReq.setHeader('X-Request-Id', id);
  });
  // Errors come to each call's callback; this keeps an unforeseen one from ending the process.
  proxy.on('error', (err) => log.warn({ err: err.message }, 'forwarding to the primary failed'));
  let lastLogged = 0;
  const unreachable = (err: Error) => {
    const now = Date.now();
    if (now - lastLogged < 10_000) return;
    lastLogged = now;
    log.warn({ primary: new URL(primaryUrl).host, err: err.message }, 'the primary cannot be reached; the page is served from Redis meanwhile');
  };
  return {
    web(req, res, unavailable) {
      proxy.web(req, res, {}, (err) => {
        unreachable(err);
        if (res.headersSent) res.destroy();
        else unavailable(res);
      });
    },
    ws(req, socket, head) {
      proxy.ws(req, socket, head, {}, (err) => {
        unreachable(err);
        socket.destroy();
      });
    },
    close() {
      agent.destroy();
    },
  };
}
