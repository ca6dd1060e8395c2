import type { Server } from 'socket.io';
import type { DeliveryStats } from '../domain/subscribers/outbox.js';
import type { PageUpdate } from '../snapshot/snapshot.js';
import type { IncidentUpdate } from './incident-rooms.js';

/** How widely to spread a reconnection, in ms (realtime/retry.ts). */
export interface RetryHint {
  spread: number;
}

/** Socket events, declared once for the server, the page's script and the tests. */
export interface ServerToClientEvents {
  /** The whole public state, after every committed change and on every (re)connection (with the retry hint then). */
  page: (update: PageUpdate & { retry?: RetryHint }) => void;
  /** An incident page's live region (realtime/incident-rooms.ts), to the viewers of that page only (with the retry hint on joining). */
  incident: (update: IncidentUpdate & { retry?: RetryHint }) => void;
  /** A new retry hint: the viewers grew, or the server is about to stop. */
  retry: (hint: RetryHint) => void;
}

// Public viewers only receive.
export type ClientToServerEvents = Record<string, never>;

/** The admin's socket.io server (path /admin/live/): signed-in operators see mail going out. */
export interface AdminServerToClientEvents {
  'delivery.progress': (progress: { source: string; stats: DeliveryStats }) => void;
}

/** What an admin socket carries: the session it was opened with (the key stored for it) and its user. */
export interface SocketData {
  sessionKey?: string;
  userId?: string;
}

/** The public viewers' server (path /socket.io/): they only ever get 'page'. */
export type Io = Server<ClientToServerEvents, ServerToClientEvents>;

/**
 * The operators' server, on its own path under /admin so that an edge forwards it to the primary with
 * the rest of the admin (its public server holds the edge's own viewers).
 */
export type AdminIo = Server<Record<string, never>, AdminServerToClientEvents, Record<string, never>, SocketData>;
export const ADMIN_LIVE_PATH = '/admin/live/';
