import { randomBytes } from 'node:crypto';
import { ABOUT } from '../lib/version.js';
import { getBranding } from '../domain/page/branding.js';
import { takeSavedForm } from '../domain/access/saved-forms.js';
import type { Request, Response } from 'express';
import type { Context } from '../context.js';
import { pacedSignupMail } from '../domain/subscribers/outbox.js';
import { getGate } from '../domain/subscribers/gate.js';
import { zoneLabel } from '../render/format.js';
import type { Layout } from '../render/engine.js';
import { pageZone } from '../domain/page/time-zone.js';
import type { StorageReport } from '../db/storage.js';
import { RESENT_PARAM, resentNotice } from './middleware/once-notice.js';

const MB = 2 ** 20;

/** What the admin's storage alert says, or nothing while changes can be stored. */
function storageAlertOf(report: StorageReport): { problem: string; error: string; free: string; needed: string } | undefined {
  const failed = !report.storage.ok ? report.storage : !report.database.ok ? report.database : undefined;
  if (!failed) return undefined;
  const mb = (bytes: number) => `${Math.floor(bytes / MB).toLocaleString('en')} MB`;
  return { problem: failed.problem ?? 'failing', error: failed.error ?? '', free: mb(report.storage.freeBytes), needed: mb(report.storage.neededBytes) };
}

/** Renders a page with what every page needs (page name, user, CSRF token). */
export function renderPage(
  ctx: Context,
  res: Response,
  view: string,
  data: Record<string, unknown> = {},
  opts: { layout?: Layout; status?: number } = {},
): void {
  const layout = opts.layout ?? 'admin';
  // Every admin page says so while the subscription gate is closed by the automatic switch.
  const signedInAdmin = layout === 'admin' && res.locals.user;
  const gateAlert = signedInAdmin ? getGate(ctx.db).autoSwitchedAt : undefined;
  // And while sign-up mail is being paced (the gate's slowdown, before it closes).
  const paced = signedInAdmin && !gateAlert ? pacedSignupMail(ctx.db, ctx.clock.now()) : undefined;
  const signupPace = paced ? { waiting: paced.waiting, lastDue: new Date(paced.lastDue).toISOString() } : undefined;
  // And while changes cannot be stored (a full disk, a read-only file system, a lock held elsewhere).
  const storageAlert = signedInAdmin ? storageAlertOf(ctx.storage.check()) : undefined;
  const brand = getBranding(ctx.db, ctx.config);
  const timeZone = pageZone(ctx);
  // A form kept when the session ended, taken back only by a page that renders (not a 404 or 403).
  const restored =
    res.locals.restoreId && res.locals.user && layout === 'admin' && (opts.status ?? 200) === 200
      ? takeSavedForm(ctx.db, res.locals.restoreId, res.locals.user.id)
      : undefined;
  const html = ctx.views.render(
    view,
    {
      pageName: brand.pageName,
      brand,
      timeZone,
      zoneLabel: zoneLabel(timeZone, ctx.clock.now()),
      user: res.locals.user,
      csrfToken: res.locals.csrfToken,
      gateAlert,
      signupPace,
      storageAlert,
      about: ABOUT,
      // A fresh one-time token for the page's create forms (middleware/once.ts); a form shown again keeps its own.
      onceToken: layout === 'admin' ? randomBytes(18).toString('base64url') : undefined,
      // A form sent again and led back here, to its first result (middleware/once.ts): said so.
      resentNotice: layout === 'admin' ? resentNotice(res.req.query[RESENT_PARAM]) : undefined,
      // The page's own address, for forms to say where they are (shown again after a refusal, it keeps its own).
      pagePath: res.req.method === 'GET' ? res.req.originalUrl.replace(/[?&](restore|resent)=[\w-]+/g, '') : undefined,
      ...data,
      // A form saved when the session ended, shown again as it was typed (middleware/lapsed-form.ts).
      ...(restored ? { values: { ...(data.values as Record<string, unknown> | undefined), ...restored }, restoredForm: true } : {}),
    },
    layout,
  );
  res
    .status(opts.status ?? 200)
    .type('html')
    .send(html);
}

/**
 * A browser sends each line break of a text area as CR LF, though it shows and counts it as one
 * character: a form's text is taken with LF alone, so that its limits count what the operator sees
 * (public/js/admin-forms.js counts the same way).
 */
const asShown = (s: string) => s.replace(/\r\n?/g, '\n');

/** A form body as flat strings (urlencoded, non-extended), line breaks as shown; repeated fields become lists. */
export function formBody(req: Request): Record<string, string | string[]> {
  const body: unknown = req.body;
  if (!body || typeof body !== 'object') return {};
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(body)) {
    if (typeof v === 'string') out[k] = asShown(v);
    else if (Array.isArray(v)) out[k] = v.filter((x): x is string => typeof x === 'string').map(asShown);
  }
  return out;
}

/** One string field of a form (the last, if the field was repeated). */
export function field(body: Record<string, string | string[]>, name: string): string | undefined {
  const v = body[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** A whole number from a query string (?page=3), clamped to [min, max]; the fallback when absent, 0 or not a number. */
export function queryInt(value: unknown, fallback: number, min: number, max: number): number {
  const n = typeof value === 'string' ? Number.parseInt(value, 10) : Number.NaN;
  return Math.min(Math.max(n || fallback, min), max);
}

/** A local redirect target: only paths on this site. */
export function safeNext(next: unknown, fallback = '/admin'): string {
  return typeof next === 'string' && /^\/(?!\/|\\)/.test(next) ? next : fallback;
}

/**
 * The admin page a request was sent from (its Referer, when it is one of ours and under /admin, never
 * the login page), without a `restore` parameter: where to lead an operator back to.
 */
export function adminRefererPath(ctx: Context, req: Request): string | undefined {
  const referer = req.get('referer');
  if (!referer) return undefined;
  try {
    const url = new URL(referer, ctx.config.publicUrl);
    const ours = new URL(ctx.config.publicUrl).origin === url.origin || url.host === req.get('host');
    if (!ours || !/^\/admin(\/|$)/.test(url.pathname) || url.pathname === '/admin/login') return undefined;
    url.searchParams.delete('restore');
    return url.pathname + url.search;
  } catch {
    return undefined;
  }
}
