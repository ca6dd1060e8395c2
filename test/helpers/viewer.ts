import { io as connect, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../server/realtime/types.js';
import type { PageUpdate } from '../../server/snapshot/snapshot.js';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Collects every 'page' event a client receives. */
export function viewer(url: string, transports: ('websocket' | 'polling')[] = ['websocket']) {
  const socket: Client = connect(url, { transports, reconnectionDelay: 50, reconnectionDelayMax: 200, forceNew: true });
  const received: PageUpdate[] = [];
  const waiters: { test: (u: PageUpdate) => boolean; resolve: (u: PageUpdate) => void }[] = [];
  socket.on('page', (update) => {
    received.push(update);
    for (const w of [...waiters]) {
      if (w.test(update)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(update);
      }
    }
  });
  const next = (test: (u: PageUpdate) => boolean, ms = 3000) =>
    new Promise<PageUpdate>((resolve, reject) => {
      const found = received.find(test);
      if (found) return resolve(found);
      const timer = setTimeout(() => reject(new Error(`no matching page event within ${ms} ms; got ${received.length}`)), ms);
      waiters.push({ test, resolve: (u) => (clearTimeout(timer), resolve(u)) });
    });
  return { socket, received, next };
}

