import type { IncomingHttpHeaders, Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { Context } from '../context.js';
import { sourceStats } from '../domain/subscribers/outbox.js';
import { resumeSession, sessionAlive, sessionKey } from '../domain/access/sessions.js';
import { cookieName, readCookie } from '../lib/cookies.js';
import type { SessionsEnded } from '../events.js';
import { JOIN_WITHIN_MS } from './connection-limit.js';
import { ADMIN_LIVE_PATH, type AdminIo } from './types.js';

const THROTTLE_MS = 250;
/** How often open admin sockets are checked against their session (expiry; other endings are told at once). */
const RECHECK_MS = 15_000;

/**
 * The operators' socket.io server (ADMIN_LIVE_PATH, under /admin: an edge forwards it to the primary
 * with the rest of the admin): only signed-in operators (their session cookie comes with the handshake, from
 * a page of PUBLIC_URL's origin) receive delivery progress, at most every 250 ms per source while mail
 * goes out. A socket lives no longer than its session: signing out, being signed out elsewhere, a role
 * change or the account's deletion disconnect it at once, and expiry within RECHECK_MS.
 */
export interface AdminProgress {
  io: AdminIo;
  /** Delivery sources whose outcomes were recorded (sent to signed-in operators, at most every 250 ms). */
  progress(sources: string[]): void;
  /** Sessions that ended: their sockets are disconnected. */
  endSessions(ended: SessionsEnded): void;
  stop(): void;
}

export function startAdminProgress(ctx: Context, http: HttpServer): AdminProgress {
  /** The session an operator's handshake carries (undefined: none, or not of PUBLIC_URL's origin). */
  const sessionOf = (headers: IncomingHttpHeaders): string | undefined => {
    // A browser sends Origin with every cross-origin request and every WebSocket: a page elsewhere
    // cannot open this server with the operator's cookie (cross-site WebSocket hijacking).
    if (headers.origin !== undefined && headers.origin !== new URL(ctx.config.publicUrl).origin) return undefined;
    return readCookie(headers.cookie, cookieName(ctx.config.publicUrl, 'pharos_session'));
  };
  const io: AdminIo = new Server(http, {
    path: ADMIN_LIVE_PATH,
    serveClient: false,
    transports: ctx.config.webConcurrency > 1 ? ['websocket'] : ['polling', 'websocket'],
    maxHttpBufferSize: 1024,
    perMessageDeflate: false,
    cors: { origin: false },
    destroyUpgrade: false,
    // Only a live session gets past the Engine.IO handshake: nobody else holds a connection here, so the
    // public (its own server, its own limits) cannot fill what operators need.
    allowRequest: (req, answer) => {
      try {
        const sid = sessionOf(req.headers);
        const alive = sid !== undefined && sessionAlive(ctx.db, sessionKey(ctx.secret, sid), ctx.clock.now());
        answer(alive ? null : 'unauthorized', alive);
      } catch {
        answer('unauthorized', false);
      }
    },
    connectTimeout: JOIN_WITHIN_MS,
  });
  const admin = io.of('/');
  admin.use((socket, next) => {
    try {
      const sid = sessionOf(socket.handshake.headers);
      const user = sid ? resumeSession(ctx.db, ctx.secret, sid, ctx.clock.now()) : undefined;
      if (!sid || !user) return next(new Error('unauthorized'));
      socket.data.sessionKey = sessionKey(ctx.secret, sid);
      socket.data.userId = user.id;
      next();
    } catch {
      next(new Error('unauthorized'));
    }
  });
  const endSessions = ({ sessionKeys = [], userId }: SessionsEnded) => {
    const keys = new Set(sessionKeys);
    for (const socket of admin.sockets.values()) {
      if ((socket.data.sessionKey && keys.has(socket.data.sessionKey)) || (userId && socket.data.userId === userId)) socket.disconnect(true);
    }
  };
  /** Disconnects the sockets whose session has ended; returns the others. */
  const live = () => {
    const now = ctx.clock.now();
    return [...admin.sockets.values()].filter((socket) => {
      if (socket.data.sessionKey && sessionAlive(ctx.db, socket.data.sessionKey, now)) return true;
      socket.disconnect(true);
      return false;
    });
  };
  const recheck = setInterval(() => {
    try {
      live();
    } catch (err) {
      ctx.log.error({ err }, 'could not check admin sockets against their sessions');
    }
  }, RECHECK_MS);
  recheck.unref();

  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    try {
      // Checked again right before: progress never reaches a session that has expired meanwhile.
      const sockets = live();
      for (const source of pending) {
        const progress = { source, stats: sourceStats(ctx.db, source) };
        for (const socket of sockets) socket.emit('delivery.progress', progress);
      }
    } catch (err) {
      ctx.log.error({ err }, 'could not send delivery progress');
    }
    pending.clear();
  };
  return {
    io,
    progress: (sources) => {
      for (const s of sources) pending.add(s);
      timer ??= setTimeout(flush, THROTTLE_MS);
    },
    endSessions,
    stop: () => {
      clearInterval(recheck);
      if (timer) clearTimeout(timer);
    },
  };
}
