import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../../config.js';
import type { Deps } from '../../context.js';
import type { Db } from '../../db/open.js';
import { Invalid } from '../../errors.js';
import { contrast, HEX_COLOUR, rgb } from '../../lib/colour.js';
import { parseInput, withoutBidiControls } from '../../lib/validate.js';
import type { Actor } from '../access/actors.js';
import { commitChange } from '../write-path.js';
import { setSetting } from './settings.js';

/** How the public page presents itself, set in Admin → Settings without a restart; PAGE_NAME is the default name. */
export interface Branding {
  pageName: string;
  /** The accent (links, buttons, focus) in light mode, "#rrggbb"; undefined: Pharos's blue. */
  accent?: string;
  siteUrl?: string;
  supportUrl?: string;
  privacyUrl?: string;
  termsUrl?: string;
  /** The uploaded logo's version (its /brand/logo?v=), when there is one. */
  logo?: string;
  /** Changes when anything here changes: the version of /brand.css. */
  hash: string;
}

const KEYS = ['page_name', 'accent', 'site_url', 'support_url', 'privacy_url', 'terms_url'] as const;
type Key = (typeof KEYS)[number];

/** The status colours an accent must not be mistaken for (public/css/pharos.css, light mode). */
const STATUS_COLOURS: Record<string, string> = {
  operational: '#1a7f4b',
  'degraded performance': '#a15c00',
  'partial outage': '#c2410c',
  'major outage': '#b91c1c',
  maintenance: '#2f5fb3',
};

/** WCAG contrast of a colour with white (links on the page, white text on buttons). */
export const contrastWithWhite = (hex: string) => contrast(hex, '#ffffff');

/** A link the page shows: an https:// address, or nothing. */
const HTTPS_URL = /^https:\/\/[^\s/$.?#].[^\s]*$/i;

/** An http:// link saved before links had to be https stays accepted until it is changed (so other edits still save). */
const url = (label: string, saved: string | undefined) =>
  z
    .string()
    .trim()
    .max(500, `${label}: at most 500 characters`)
    .refine((v) => v === '' || v === saved || HTTPS_URL.test(v), `${label}: a web address starting with https://`);

/** The branding form's rules, given what is saved now (see url()). */
export const brandingSchema = (saved: Partial<Record<Key, string>> = {}) =>
  z.object({
    page_name: z.string().transform(withoutBidiControls).pipe(z.string().trim().min(1, 'Enter the page name').max(100, 'At most 100 characters')),
    accent: z
      .string()
      .trim()
      .refine((v) => v === '' || HEX_COLOUR.test(v), 'A colour such as #1f5fbf'),
    site_url: url('Company site', saved.site_url),
    support_url: url('Support', saved.support_url),
    privacy_url: url('Privacy policy', saved.privacy_url),
    terms_url: url('Terms', saved.terms_url),
  });
export const brandingInput = brandingSchema();
export type BrandingInput = z.input<typeof brandingInput>;

/**
 * Read for every page rendered and every message composed: one query over the brand's settings (the
 * logo's bytes are not read here, only the version stored beside them).
 */
export function getBranding(db: Db, config: Pick<Config, 'pageName'>): Branding {
  const rows = db.prepare("SELECT key, value FROM settings WHERE key LIKE 'brand.%' AND key <> 'brand.logo'").all() as { key: string; value: string }[];
  const values = new Map(rows.map((r) => [r.key, r.value]));
  const get = (key: Key | 'logo_version') => values.get(`brand.${key}`) || undefined;
  const b = {
    pageName: get('page_name') ?? config.pageName,
    accent: get('accent'),
    siteUrl: get('site_url'),
    supportUrl: get('support_url'),
    privacyUrl: get('privacy_url'),
    termsUrl: get('terms_url'),
    logo: get('logo_version'),
  };
  return { ...b, hash: createHash('sha256').update(JSON.stringify(b)).digest('base64url').slice(0, 10) };
}

/** The branding as the form (and setBranding) take it: what Settings shows, and what a partial edit starts from. */
export function brandingValues(b: Branding): Record<keyof BrandingInput, string> {
  return {
    page_name: b.pageName,
    accent: b.accent ?? '',
    site_url: b.siteUrl ?? '',
    support_url: b.supportUrl ?? '',
    privacy_url: b.privacyUrl ?? '',
    terms_url: b.termsUrl ?? '',
  };
}

/**
 * The accent must read on white (at least 4.5:1, as text and under white button text) and must not be
 * taken for a status: a red accent would make every link look like an outage.
 */
function checkAccent(accent: string): void {
  if (contrastWithWhite(accent) < 4.5) {
    throw new Invalid({ accent: `Too light: ${contrastWithWhite(accent).toFixed(1)}:1 against white, links and buttons need at least 4.5:1` });
  }
  const [r = 0, g = 0, b = 0] = rgb(accent.toLowerCase());
  const distances = Object.entries(STATUS_COLOURS).map(([status, colour]) => {
    const [sr = 0, sg = 0, sb = 0] = rgb(colour);
    return { status, distance: Math.hypot(r - sr, g - sg, b - sb) };
  });
  const nearest = distances.sort((x, y) => x.distance - y.distance)[0];
  if (nearest && nearest.distance < 48) throw new Invalid({ accent: `Too close to the colour of "${nearest.status}": readers would take it for a status` });
}

/** The page shows it (name, links, colours): a public change, through the one write path. */
export function setBranding(ctx: Deps<'bus' | 'clock' | 'config' | 'db'>, actor: Actor, given: BrandingInput): Branding {
  const input = parseInput(brandingSchema(brandingValues(getBranding(ctx.db, ctx.config))), given);
  if (input.accent) checkAccent(input.accent);
  commitChange(ctx, { cause: 'page.branding_changed', actor, subject: () => getBranding(ctx.db, ctx.config) }, () => {
    for (const key of KEYS) setSetting(ctx.db, `brand.${key}`, key === 'page_name' && input.page_name === ctx.config.pageName ? '' : input[key]);
    return { result: undefined, ids: [] };
  });
  return getBranding(ctx.db, ctx.config);
}

/** /brand.css: the accent over the stylesheet's own (light mode only; dark mode keeps its readable blues). */
export function brandCss(branding: Branding): string {
  if (!branding.accent) return '/* Pharos: no accent set (Admin → Settings → Branding). */\n';
  return `/* Pharos: the page's accent, from Admin → Settings → Branding. */\n@media (prefers-color-scheme: light) {\n  :root {\n    --link: ${branding.accent};\n    --focus: ${branding.accent};\n  }\n}\n`;
}
