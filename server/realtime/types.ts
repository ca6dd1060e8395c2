import type { Server } from 'socket.io';
import type { DeliveryStats } from '../domain/subscribers/outbox.js';
import type { PageUpdate } from '../snapshot/snapshot.js';

/** Socket events, declared once for the server, the page's script and the tests. */
export interface ServerToClientEvents {
  /** The whole public state, after every committed change and on every (re)connection. */
  page: (update: PageUpdate) => void;
}

// Public viewers only receive.
export type ClientToServerEvents = Record<string, never>;

/** The admin namespace (/admin): signed-in operators see mail going out. */
export interface AdminServerToClientEvents {
  'delivery.progress': (progress: { source: string; stats: DeliveryStats }) => void;
}

/** What a socket carries: on /admin, the session it was opened with (the key stored for it) and its user. */
export interface SocketData {
  sessionKey?: string;
  userId?: string;
}

// One server-side event map for both namespaces: public viewers only ever get 'page', /admin 'delivery.progress'.
export type Io = Server<ClientToServerEvents, ServerToClientEvents & AdminServerToClientEvents, Record<string, never>, SocketData>;
