import { z } from 'zod';
import type { Deps } from '../../context.js';
import { canonicalZone } from '../../lib/time.js';
import { parseInput } from '../../lib/validate.js';
import type { Actor } from '../access/actors.js';
import { commitChange } from '../write-path.js';
import { getSetting, setSetting } from './settings.js';
import { rollupUptime } from './uptime.js';

export const ZONE_CHANGED = 'page.time_zone_changed';

/** Every zone a page may be set to: the IANA names this Node knows, and UTC. */
export function knownZones(): string[] {
  return ['UTC', ...Intl.supportedValuesOf('timeZone').filter((z) => z !== 'UTC')];
}

/**
 * The page's time zone: the one chosen in Admin → Settings, else TIME_ZONE. Pages, mail, the days of
 * uptime, the times typed in forms and the daily jobs all use it. Read where it is used (one indexed
 * row), so every process sees a change at once.
 */
export function pageZone(ctx: Deps<'config' | 'db'>): string {
  return getSetting(ctx.db, 'page.time_zone') || ctx.config.timeZone;
}

export const timeZoneInput = z
  .object({
    time_zone: z
      .string()
      .trim()
      .max(64, 'At most 64 characters')
      .transform((v, c) => {
        if (v === '') return '';
        const zone = canonicalZone(v);
        if (!zone) {
          c.addIssue({ code: 'custom', message: `Not a time zone: use a name such as Europe/Paris or America/New_York, or UTC` });
          return z.NEVER;
        }
        return zone;
      }),
  })
  .strict();
export type TimeZoneInput = z.input<typeof timeZoneInput>;

/**
 * Sets the page's zone ('' goes back to TIME_ZONE). The days of uptime already rolled up were calendar
 * days of the old zone: they are computed again from the status history in the same transaction, so
 * the bars never mix two zones' days.
 */
export function setPageZone(ctx: Deps<'bus' | 'clock' | 'config' | 'db'>, actor: Actor, given: TimeZoneInput): string {
  const input = parseInput(timeZoneInput, given);
  // TIME_ZONE as the environment spells it ("Etc/UTC") or by its canonical name ("UTC"): the default, not a choice.
  const chosen = input.time_zone === ctx.config.timeZone || input.time_zone === canonicalZone(ctx.config.timeZone) ? '' : input.time_zone;
  if ((getSetting(ctx.db, 'page.time_zone') ?? '') === chosen) return pageZone(ctx);
  commitChange(ctx, { cause: ZONE_CHANGED, actor, subject: () => ({ time_zone: pageZone(ctx) }) }, () => {
    setSetting(ctx.db, 'page.time_zone', chosen);
    ctx.db.prepare('DELETE FROM uptime_days').run();
    rollupUptime(ctx.db, pageZone(ctx), ctx.clock.now());
    return { result: undefined, ids: [] };
  });
  return pageZone(ctx);
}
