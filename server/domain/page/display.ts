import { z } from 'zod';
import type { Deps } from '../../context.js';
import type { Db } from '../../db/open.js';
import { parseInput } from '../../lib/validate.js';
import type { Actor } from '../access/actors.js';
import { commitChange } from '../write-path.js';
import { getSetting, setSetting } from './settings.js';

/** What the public pages show beyond the incidents themselves: set in Admin → Settings. */
export interface Display {
  /** Mean and median time to resolve, and to the first update, on the history page (off by default). */
  showResolutionFigures: boolean;
}

export const displayInput = z.object({ show_resolution_figures: z.boolean() }).strict();
export type DisplayInput = z.input<typeof displayInput>;

export function getDisplay(db: Db): Display {
  return { showResolutionFigures: getSetting(db, 'display.resolution_figures') === 'on' };
}

/** The history page shows it: a public change, through the one write path. */
export function setDisplay(ctx: Deps<'bus' | 'clock' | 'db'>, actor: Actor, given: DisplayInput): Display {
  const input = parseInput(displayInput, given);
  commitChange(ctx, { cause: 'page.display_changed', actor, subject: () => getDisplay(ctx.db) }, () => {
    setSetting(ctx.db, 'display.resolution_figures', input.show_resolution_figures ? 'on' : 'off');
    return { result: undefined, ids: [] };
  });
  return getDisplay(ctx.db);
}
