import { parse } from 'cookie';
import type { Context } from '../context.js';
import { sourceStats } from '../domain/outbox.js';
import { resumeSession } from '../domain/sessions.js';
import { cookieName } from '../web/middleware/session.js';
import type { Io } from './hub.js';

const THROTTLE_MS = 250;

/**
 * The /admin namespace: only signed-in operators (their session cookie comes with the handshake)
 * receive delivery progress, at most every 250 ms per source while mail goes out.
 */
export function startAdminProgress(ctx: Context, io: Io): () => void {
  const admin = io.of('/admin');
  admin.use((socket, next) => {
    try {
      const cookies = parse(socket.handshake.headers.cookie ?? '');
      const sid = cookies[cookieName(ctx, 'pharos_session')];
      const user = sid ? resumeSession(ctx.db, ctx.secret, sid, ctx.clock.now()) : undefined;
      next(user ? undefined : new Error('unauthorized'));
    } catch {
      next(new Error('unauthorized'));
    }
  });
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    for (const source of pending) {
      try {
        admin.emit('delivery.progress', { source, stats: sourceStats(ctx.db, source) });
      } catch (err) {
        ctx.log.error({ err, source }, 'could not send delivery progress');
      }
    }
    pending.clear();
  };
  const off = ctx.bus.on('mail.progress', (sources) => {
    for (const s of sources) pending.add(s);
    timer ??= setTimeout(flush, THROTTLE_MS);
  });
  return () => {
    off();
    if (timer) clearTimeout(timer);
  };
}
