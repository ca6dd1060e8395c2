import { createHash } from 'node:crypto';
import type { Deps } from '../../context.js';
import type { Db } from '../../db/open.js';
import { Invalid } from '../../errors.js';
import type { Actor } from '../access/actors.js';
import { commitChange } from '../write-path.js';
import { deleteSetting, getSetting, setSetting } from './settings.js';

/** The largest logo accepted: it is sent with every page view that shows it. */
export const LOGO_MAX_BYTES = 200 * 1024;

export interface Logo {
  bytes: Buffer;
  type: 'image/png' | 'image/jpeg' | 'image/webp';
}

/** What the bytes are, by their first bytes (never by the name or the browser's word for it). */
function sniff(bytes: Buffer): Logo['type'] | 'svg' | undefined {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  if (/^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<svg[\s>]/i.test(bytes.subarray(0, 2048).toString('utf8'))) return 'svg';
  return undefined;
}

export function getLogo(db: Db): Logo | undefined {
  const data = getSetting(db, 'brand.logo');
  const type = getSetting(db, 'brand.logo_type');
  if (!data || (type !== 'image/png' && type !== 'image/jpeg' && type !== 'image/webp')) return undefined;
  return { bytes: Buffer.from(data, 'base64'), type };
}

/**
 * The page's logo, uploaded in Settings and served by Pharos itself (/brand/logo): PNG, JPEG or WebP up
 * to 200 KB, recognised by its bytes. SVG is refused: it can carry scripts and links, and a sanitiser
 * that misses one would run them on the status page's origin.
 */
export function setLogo(ctx: Deps<'bus' | 'clock' | 'db'>, actor: Actor, bytes: Buffer | undefined): void {
  if (!bytes || bytes.length === 0) throw new Invalid({ logo: 'Choose an image file (PNG, JPEG or WebP)' });
  if (bytes.length > LOGO_MAX_BYTES) throw new Invalid({ logo: `The image is ${Math.ceil(bytes.length / 1024)} KB; at most ${LOGO_MAX_BYTES / 1024} KB` });
  const type = sniff(bytes);
  if (type === 'svg') throw new Invalid({ logo: 'SVG is not accepted (it can carry scripts): upload a PNG, JPEG or WebP' });
  if (!type) throw new Invalid({ logo: 'Not a PNG, JPEG or WebP image' });
  commitChange(ctx, { cause: 'page.logo_changed', actor }, () => {
    setSetting(ctx.db, 'brand.logo', bytes.toString('base64'));
    setSetting(ctx.db, 'brand.logo_type', type);
    // Its version, for the pages' /brand/logo?v= (getBranding reads this, never the bytes).
    setSetting(ctx.db, 'brand.logo_version', createHash('sha256').update(bytes).digest('base64url').slice(0, 10));
    return { result: undefined, ids: [], audit: { subject: 'logo', detail: { type, bytes: bytes.length } } };
  });
}

export function removeLogo(ctx: Deps<'bus' | 'clock' | 'db'>, actor: Actor): void {
  commitChange(ctx, { cause: 'page.logo_removed', actor }, () => {
    for (const key of ['brand.logo', 'brand.logo_type', 'brand.logo_version']) deleteSetting(ctx.db, key);
    return { result: undefined, ids: [], audit: { subject: 'logo', detail: '' } };
  });
}
