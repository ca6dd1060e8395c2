import type { Deps } from '../../context.js';
import { Invalid } from '../../errors.js';
import { parseInput } from '../../lib/validate.js';
import type { Actor } from '../access/actors.js';
import { brandingSchema, brandingValues, getBranding, setBranding, type BrandingInput } from './branding.js';
import { pageZone, setPageZone, timeZoneInput } from './time-zone.js';

/** The page as Statuspage's v1 API names it: what Settings → Branding and the time zone hold, and when it last changed. */
export interface PageProfile {
  id: string;
  name: string;
  /** The company site the page links to (Statuspage's `url`: "clicking on your statuspage image will link here"). */
  siteUrl: string | null;
  supportUrl: string | null;
  /** The accent, used for links (Statuspage's `css_link_color`). */
  accent: string | null;
  timeZone: string;
  /** The last public change (the v2 API's page.updated_at). */
  updatedAt: string;
}

export function pageProfile(ctx: Deps<'clock' | 'config' | 'db' | 'pageId'>): PageProfile {
  const brand = getBranding(ctx.db, ctx.config);
  const lastChange = ctx.db.prepare('SELECT created_at FROM events ORDER BY id DESC LIMIT 1').pluck().get() as string | undefined;
  return {
    id: ctx.pageId,
    name: brand.pageName,
    siteUrl: brand.siteUrl ?? null,
    supportUrl: brand.supportUrl ?? null,
    accent: brand.accent ?? null,
    timeZone: pageZone(ctx),
    updatedAt: lastChange ?? ctx.clock.now().toISOString(),
  };
}

/** Statuspage's page fields we hold, and the branding setting each one is. */
const BRANDING_FIELDS = { name: 'page_name', url: 'site_url', support_url: 'support_url', css_link_color: 'accent' } as const;
type BrandingField = keyof typeof BRANDING_FIELDS;
export type PagePatch = Partial<Record<BrandingField | 'time_zone', unknown>>;

const STATUSPAGE_NAMES: Record<string, string> = Object.fromEntries(Object.entries(BRANDING_FIELDS).map(([theirs, ours]) => [ours, theirs]));

/**
 * Edits the page with Statuspage's field names: `name`, `url`, `support_url` and `css_link_color` are
 * Settings → Branding, `time_zone` the page's zone (null or '' goes back to TIME_ZONE, and clears a
 * link). Fields left out stay as they are. Everything is checked before anything is written; field
 * errors carry Statuspage's names.
 */
export function updatePage(ctx: Deps<'bus' | 'clock' | 'config' | 'db'>, actor: Actor, given: PagePatch): void {
  try {
    const zone = given.time_zone === undefined ? undefined : parseInput(timeZoneInput, { time_zone: given.time_zone ?? '' });
    const named = (Object.keys(BRANDING_FIELDS) as BrandingField[]).filter((f) => given[f] !== undefined);
    if (named.length) {
      const saved = brandingValues(getBranding(ctx.db, ctx.config));
      const merged: Record<keyof BrandingInput, unknown> = { ...saved };
      for (const f of named) merged[BRANDING_FIELDS[f]] = given[f] ?? '';
      // Parsed here for the types; setBranding checks it again (and the accent's contrast) before it writes.
      setBranding(ctx, actor, parseInput(brandingSchema(saved), merged));
    }
    if (zone) setPageZone(ctx, actor, zone);
  } catch (err) {
    if (!(err instanceof Invalid)) throw err;
    throw new Invalid(Object.fromEntries(Object.entries(err.fields).map(([k, v]) => [STATUSPAGE_NAMES[k] ?? k, v])));
  }
}
