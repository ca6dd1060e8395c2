import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { serialize } from 'cookie';
import type { Request, RequestHandler, Response } from 'express';
import type { Context } from '../../context.js';
import { endSession, resumeSessionOf, SESSION_ABSOLUTE_MS, sessionKey, startSession } from '../../domain/access/sessions.js';
import { cookieName, readCookie } from '../../lib/cookies.js';
import { csrfTokenFor } from './csrf.js';

function secure(ctx: Context): boolean {
  return ctx.config.publicUrl.startsWith('https://');
}

function setCookie(ctx: Context, res: Response, base: string, value: string, maxAgeMs: number | undefined, sameSite: 'lax' | 'strict' = 'lax'): void {
  res.append(
    'Set-Cookie',
    serialize(cookieName(ctx.config.publicUrl, base), value, {
      httpOnly: true,
      sameSite,
      secure: secure(ctx),
      path: '/',
      ...(maxAgeMs === undefined ? {} : { maxAge: Math.floor(maxAgeMs / 1000) }),
    }),
  );
}

const DEVICE_MAX_AGE_MS = 180 * 86_400_000;

/** Bound to the account's password hash too: a new password ends every device cookie issued before. */
function deviceMac(ctx: Context, account: { id: string; password_hash: string }, nonce: string): string {
  const passwordTag = createHash('sha256').update(account.password_hash).digest('base64url');
  return createHmac('sha256', ctx.secret).update(`device:${account.id}:${nonce}:${passwordTag}`).digest('base64url');
}

/**
 * OWASP's device cookie: a browser that signed in to an account before carries `<user>.<nonce>.<HMAC>`,
 * and its password attempts for that account are counted for the device, not the account or the
 * network. Someone guessing an operator's password from elsewhere, or from behind the same NAT, thus
 * cannot lock the operator's own browser out. Returns the device's nonce when the cookie is this
 * account's.
 */
export function trustedDevice(ctx: Context, req: Request, account: { id: string; password_hash: string } | undefined): string | undefined {
  const m = /^([a-z0-9]{1,64})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(
    readCookie(req.headers.cookie, cookieName(ctx.config.publicUrl, 'pharos_device')) ?? '',
  );
  if (!account || !m?.[2] || !m[3] || m[1] !== account.id) return undefined;
  return timingSafeEqual(Buffer.from(m[3]), Buffer.from(deviceMac(ctx, account, m[2]))) ? m[2] : undefined;
}

/** A new device cookie at each sign-in. */
export function issueDevice(ctx: Context, res: Response, account: { id: string; password_hash: string }): void {
  const nonce = randomBytes(16).toString('base64url');
  setCookie(ctx, res, 'pharos_device', `${account.id}.${nonce}.${deviceMac(ctx, account, nonce)}`, DEVICE_MAX_AGE_MS, 'strict');
}

/** Loads the signed-in user, and gives every form a CSRF token (from the session, or an anonymous cookie). */
export function sessions(ctx: Context): RequestHandler {
  return (req, res, next) => {
    const sid = readCookie(req.headers.cookie, cookieName(ctx.config.publicUrl, 'pharos_session'));
    // Whose session it was, also once it ended (idle: refused but kept until its absolute end): a form sent
    // after it ended is kept for that operator (middleware/lapsed-form.ts).
    const { user, endedOwner } = sid ? resumeSessionOf(ctx.db, ctx.secret, sid, ctx.clock.now()) : {};
    if (sid && endedOwner) res.locals.lapsed = { userId: endedOwner, csrfToken: csrfTokenFor(ctx.secret, `session:${sid}`) };
    if (sid && user) {
      res.locals.user = user;
      res.locals.sessionId = sid;
      res.locals.csrfToken = csrfTokenFor(ctx.secret, `session:${sid}`);
    } else {
      let anon = readCookie(req.headers.cookie, cookieName(ctx.config.publicUrl, 'pharos_csrf'));
      if (!anon || !/^[A-Za-z0-9_-]{32,64}$/.test(anon)) {
        anon = randomBytes(24).toString('base64url');
        setCookie(ctx, res, 'pharos_csrf', anon, undefined);
      }
      res.locals.csrfToken = csrfTokenFor(ctx.secret, `anon:${anon}`);
    }
    next();
  };
}

/** A fresh session id at every login, so that an id planted before login is worthless. */
export function signIn(ctx: Context, req: Request, res: Response, userId: string): void {
  const old = readCookie(req.headers.cookie, cookieName(ctx.config.publicUrl, 'pharos_session'));
  if (old) endSession(ctx.db, ctx.secret, old);
  const sid = startSession(ctx.db, ctx.secret, userId, ctx.clock.now());
  setCookie(ctx, res, 'pharos_session', sid, SESSION_ABSOLUTE_MS);
}

export function signOut(ctx: Context, res: Response): void {
  if (res.locals.sessionId) {
    endSession(ctx.db, ctx.secret, res.locals.sessionId);
    ctx.bus.emit('sessions.ended', { sessionKeys: [sessionKey(ctx.secret, res.locals.sessionId)] });
  }
  setCookie(ctx, res, 'pharos_session', '', 0);
}
