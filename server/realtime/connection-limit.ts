import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { Socket } from 'socket.io';
import type { Config } from '../config.js';
import type { Log } from '../log.js';
import { networkOf } from '../lib/client-address.js';

/** The client's address as Express sees it (TRUST_PROXY honoured), for socket.io handshakes. */
function addressOf(config: Pick<Config, 'trustProxy'>): (req: IncomingMessage) => string {
  const trust = config.trustProxy;
  if (typeof trust === 'number') return (req) => proxyaddr(req, (_addr, i) => i < trust);
  const trusted = trust === false ? () => false : trust === true ? () => true : proxyaddr.compile(trust.split(',').map((s) => s.trim()));
  return (req) => proxyaddr(req, trusted);
}

/**
 * At most LIVE_MAX_PER_ADDRESS live connections at once from one client network (IPv6 by /64): public
 * viewers only receive, so a client holding thousands is an attack on the server's memory. A refused
 * client gets a connect_error and retries later, with socket.io's backoff.
 */
export function limitConnections(deps: {
  config: Pick<Config, 'trustProxy' | 'liveMaxPerAddress'>;
  log: Log;
}): (socket: Socket, next: (err?: Error) => void) => void {
  const open = new Map<string, number>();
  const clientAddress = addressOf(deps.config);
  return (socket, next) => {
    const network = networkOf(clientAddress(socket.request));
    const count = open.get(network) ?? 0;
    if (count >= deps.config.liveMaxPerAddress) {
      deps.log.warn({ network, open: count }, 'live connection refused: too many from one network');
      next(new Error('Too many live connections from your network'));
      return;
    }
    open.set(network, count + 1);
    socket.once('disconnect', () => {
      const left = (open.get(network) ?? 1) - 1;
      if (left > 0) open.set(network, left);
      else open.delete(network);
    });
    next();
  };
}
