import { Router } from 'express';
import type { Context } from '../../context.js';
import { getDisplay, setDisplay } from '../../domain/page/display.js';
import { brandingValues, getBranding, setBranding } from '../../domain/page/branding.js';
import { embedInput, getEmbed, setEmbed } from '../../domain/page/embed.js';
import { knownZones, pageZone, setPageZone } from '../../domain/page/time-zone.js';
import { GATE_MODES, gateInput, getGate, setGate, type Gate } from '../../domain/subscribers/gate.js';
import { Unauthorized } from '../../errors.js';
import { userActor } from '../locals.js';
import { field, formBody, renderPage } from '../respond.js';
import { form } from '../middleware/form.js';
import { confirmPassword } from './reauth.js';
import { parseInput, problemsIn } from '../../lib/validate.js';

/** What the Settings page shows besides the forms' values (also when a form there is shown again). */
export function settingsPageData(ctx: Context) {
  const c = ctx.config;
  return {
    title: 'Settings',
    nav: 'settings',
    pageId: ctx.pageId,
    defaultPageName: ctx.config.pageName,
    defaultTimeZone: ctx.config.timeZone,
    zones: knownZones(),
    gate: getGate(ctx.db),
    modes: GATE_MODES,
    // The tag to paste on another site (Settings → Embed).
    embedSnippet: `<script src="${new URL('/embed/script.js', c.publicUrl).href}"></script>`,
    settings: [
      { name: 'PAGE_NAME', value: c.pageName },
      { name: 'PUBLIC_URL', value: c.publicUrl },
      { name: 'TIME_ZONE', value: c.timeZone === pageZone(ctx) ? c.timeZone : `${c.timeZone} (the page uses ${pageZone(ctx)}, chosen below)` },
      { name: 'DATA_DIR', value: c.dataDir },
      { name: 'MAIL_FROM', value: c.mail.from },
      { name: 'SMTP_URL', value: c.mail.smtpUrl ? ctx.mail.transport.description : 'not set: mail is written to files' },
    ],
  };
}

/** The page's identity and configuration (from the environment), what the public pages show, and who may subscribe (admins only). */
export function settingsRoutes(ctx: Context): Router {
  const router = Router();
  const settingsData = () => settingsPageData(ctx);
  router.get('/admin/settings', (_req, res) => {
    renderPage(ctx, res, 'admin/settings', {
      ...settingsData(),
      values: { ...gateValues(getGate(ctx.db)), ...displayValues(), ...brandValues(), ...embedValues(), time_zone: pageZone(ctx) },
    });
  });
  router.post('/admin/settings/branding', form('admin/settings', settingsData), (req, res) => {
    if (!res.locals.user) throw new Unauthorized();
    const body = formBody(req);
    setBranding(ctx, userActor(res.locals.user, req.ip), {
      page_name: field(body, 'page_name') ?? '',
      accent: field(body, 'accent') ?? '',
      site_url: field(body, 'site_url') ?? '',
      support_url: field(body, 'support_url') ?? '',
      privacy_url: field(body, 'privacy_url') ?? '',
      terms_url: field(body, 'terms_url') ?? '',
    });
    res.redirect(303, '/admin/settings#branding');
  });
  router.post('/admin/settings/display', form('admin/settings', settingsData), (req, res) => {
    if (!res.locals.user) throw new Unauthorized();
    setDisplay(ctx, userActor(res.locals.user, req.ip), { show_resolution_figures: field(formBody(req), 'show_resolution_figures') === 'on' });
    res.redirect(303, '/admin/settings#display');
  });
  router.post('/admin/settings/time-zone', form('admin/settings', settingsData), (req, res) => {
    if (!res.locals.user) throw new Unauthorized();
    setPageZone(ctx, userActor(res.locals.user, req.ip), { time_zone: field(formBody(req), 'time_zone') ?? '' });
    res.redirect(303, '/admin/settings#time-zone');
  });
  router.post('/admin/settings/embed', form('admin/settings', settingsData), (req, res) => {
    if (!res.locals.user) throw new Unauthorized();
    const body = formBody(req);
    setEmbed(
      ctx,
      userActor(res.locals.user, req.ip),
      parseInput(embedInput, {
        position: field(body, 'position'),
        incident_background_color: field(body, 'incident_background_color'),
        incident_text_color: field(body, 'incident_text_color'),
        maintenance_background_color: field(body, 'maintenance_background_color'),
        maintenance_text_color: field(body, 'maintenance_text_color'),
        origins: field(body, 'origins') ?? '',
      }),
    );
    res.redirect(303, '/admin/settings#embed');
  });
  router.post('/admin/settings/subscriptions', form('admin/settings', settingsData), async (req, res) => {
    if (!res.locals.user) throw new Unauthorized();
    const body = formBody(req);
    const input = {
      mode: field(body, 'mode'),
      domains: field(body, 'domains') ?? '',
      threshold: field(body, 'threshold') ?? '',
      auto_mode: field(body, 'auto_mode'),
    };
    await confirmPassword(ctx, res, body, problemsIn(gateInput, input));
    setGate(ctx, userActor(res.locals.user, req.ip), parseInput(gateInput, input));
    res.redirect(303, '/admin/settings');
  });
  return router;

  function brandValues() {
    return brandingValues(getBranding(ctx.db, ctx.config));
  }

  function embedValues() {
    const e = getEmbed(ctx.db);
    return {
      position: e.position,
      incident_background_color: e.incident_background_color,
      incident_text_color: e.incident_text_color,
      maintenance_background_color: e.maintenance_background_color,
      maintenance_text_color: e.maintenance_text_color,
      origins: e.origins.join('\n'),
    };
  }

  function displayValues() {
    return getDisplay(ctx.db).showResolutionFigures ? { show_resolution_figures: 'on' } : {};
  }
}

function gateValues(gate: Gate) {
  return { mode: gate.mode, domains: gate.domains.join('\n'), threshold: String(gate.threshold), auto_mode: gate.autoMode };
}
