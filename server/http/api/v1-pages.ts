import { Router, type Request, type Response } from 'express';
import type { Context } from '../../context.js';
import { pageProfile, updatePage, type PagePatch } from '../../domain/page/profile.js';
import { actor, envelope, inEnvelope } from './v1-common.js';

/**
 * Statuspage's v1 page object, with what Pharos holds: `url` is the company site the page links to and
 * `support_url` its support link (Settings → Branding), `domain` where the page is served (PUBLIC_URL's
 * host), `css_link_color` the accent. Statuspage's other fields (subdomain, plan, CSS colours, the
 * subscription switches...) have no counterpart here and are left out.
 */
export function pageShape(ctx: Context) {
  const p = pageProfile(ctx);
  return {
    id: p.id,
    name: p.name,
    domain: new URL(ctx.config.publicUrl).host,
    url: p.siteUrl,
    support_url: p.supportUrl,
    time_zone: p.timeZone,
    css_link_color: p.accent,
    updated_at: p.updatedAt,
  };
}

const FIELDS = ['name', 'url', 'support_url', 'css_link_color', 'time_zone'] as const;

/**
 * The page itself, mounted on the page router (`/api/v1/pages/:page_id`): GET it, and PATCH or PUT
 * `{"page": {"name", "url", "support_url", "css_link_color", "time_zone"}}`; what is left out stays, other
 * fields are ignored. The list (`GET /api/v1/pages`) is on v1.ts's outer router, outside the page router.
 */
export function pageApi(ctx: Context): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    res.json(pageShape(ctx));
  });
  const edit = (req: Request, res: Response) => {
    const body = envelope(req, 'page');
    const given: PagePatch = Object.fromEntries(FIELDS.filter((f) => body[f] !== undefined).map((f) => [f, body[f]]));
    inEnvelope('page', () => updatePage(ctx, actor(res), given));
    res.json(pageShape(ctx));
  };
  router.patch('/', edit);
  router.put('/', edit);
  return router;
}
