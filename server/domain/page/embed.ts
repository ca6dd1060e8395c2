import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Deps } from '../../context.js';
import type { Db } from '../../db/open.js';
import { Invalid } from '../../errors.js';
import { contrast, HEX_COLOUR } from '../../lib/colour.js';
import { enumOf, parseInput } from '../../lib/validate.js';
import type { Actor } from '../access/actors.js';
import { commitChange } from '../write-path.js';
import { getSetting, setSetting } from './settings.js';

/**
 * The embed (/embed/script.js on another site shows a box while an incident or maintenance is open), as
 * Statuspage's status_embed_config has it: where the box sits and its colours. Besides, the sites that
 * may show it (Content-Security-Policy frame-ancestors of /embed/frame); none listed: any site.
 */
export const EMBED_POSITIONS = ['bottom-left', 'bottom-right'] as const;
export type EmbedPosition = (typeof EMBED_POSITIONS)[number];

export interface EmbedConfig {
  position: EmbedPosition;
  incident_background_color: string;
  incident_text_color: string;
  maintenance_background_color: string;
  maintenance_text_color: string;
  /** Origins such as https://www.example.com that may frame the box; empty: any site. */
  origins: string[];
  /** Changes when anything here changes: the version of /embed/colours.css. */
  hash: string;
}

/** The colours' labels, as the form shows them and its messages name them. */
export const COLOUR_LABELS = {
  incident_background_color: 'Incident background',
  incident_text_color: 'Incident text',
  maintenance_background_color: 'Maintenance background',
  maintenance_text_color: 'Maintenance text',
} as const;
type Colour = keyof typeof COLOUR_LABELS;

/** Pharos's own: the page's major-outage red and maintenance blue, with white text (both over 4.5:1). */
export const EMBED_DEFAULTS: Omit<EmbedConfig, 'hash'> = {
  position: 'bottom-right',
  incident_background_color: '#b91c1c',
  incident_text_color: '#ffffff',
  maintenance_background_color: '#2f5fb3',
  maintenance_text_color: '#ffffff',
  origins: [],
};

/** A site's origin: scheme, host and port, nothing more (what frame-ancestors and postMessage compare). */
export const ORIGIN = /^https?:\/\/(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/;
const MAX_ORIGINS = 20;
/** The frame's whole Content-Security-Policy must stay a short header (the replication keeps headers under 1000 characters). */
const MAX_ORIGINS_LENGTH = 700;

const colour = (label: string) =>
  z
    .string({ invalid_type_error: `${label}: a colour such as #b91c1c`, required_error: `${label}: a colour such as #b91c1c` })
    .trim()
    .refine((v) => HEX_COLOUR.test(v), `${label}: a colour such as #b91c1c`)
    .transform((v) => v.toLowerCase());

export const embedInput = z.object({
  position: enumOf(EMBED_POSITIONS, 'Position'),
  incident_background_color: colour(COLOUR_LABELS.incident_background_color),
  incident_text_color: colour(COLOUR_LABELS.incident_text_color),
  maintenance_background_color: colour(COLOUR_LABELS.maintenance_background_color),
  maintenance_text_color: colour(COLOUR_LABELS.maintenance_text_color),
  // One per line (or separated by spaces or commas); a list is taken too: this schema's own output, parsed again.
  origins: z.preprocess(
    (v) => (Array.isArray(v) ? v.join('\n') : v),
    z
      .string({ invalid_type_error: 'List sites, one per line' })
      .max(10_000, 'At most 10000 characters')
      .default('')
      .transform((s) => [
        ...new Set(
          s
            .split(/[\s,;]+/)
            .map((o) => o.trim().toLowerCase().replace(/\/$/, ''))
            .filter(Boolean),
        ),
      ])
      .refine((list) => list.every((o) => ORIGIN.test(o)), 'Each line must be a site such as https://www.example.com (no path)')
      .refine((list) => list.length <= MAX_ORIGINS && list.join(' ').length <= MAX_ORIGINS_LENGTH, `At most ${MAX_ORIGINS} sites`),
  ),
});
export type EmbedInput = z.input<typeof embedInput>;

const hashOf = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 10);

function parseStored(stored: string | undefined): unknown {
  try {
    return stored ? JSON.parse(stored) : undefined;
  } catch {
    return undefined;
  }
}

/** Read once per snapshot build and by the Settings page. */
export function getEmbed(db: Db): EmbedConfig {
  const result = embedInput.safeParse(parseStored(getSetting(db, 'embed.config')));
  const config = { ...EMBED_DEFAULTS, ...(result.success ? result.data : {}) };
  return { ...config, hash: hashOf(config) };
}

/**
 * Text must read on its background: WCAG AA's 4.5:1 for normal text. The text colour's field is named
 * (that is the one usually changed), with both colours in the message.
 */
function checkContrast(input: Record<Colour, string>): void {
  const fields: Record<string, string> = {};
  for (const kind of ['incident', 'maintenance'] as const) {
    const text = input[`${kind}_text_color`];
    const background = input[`${kind}_background_color`];
    const ratio = contrast(text, background);
    if (ratio < 4.5) {
      fields[`${kind}_text_color`] =
        `${COLOUR_LABELS[`${kind}_text_color`]}: ${ratio.toFixed(1)}:1 against the ${kind} background ${background}, text needs at least 4.5:1`;
    }
  }
  if (Object.keys(fields).length) throw new Invalid(fields);
}

/** The box on other sites shows it: a public change (the frame and its stylesheet), through the one write path. */
export function setEmbed(ctx: Deps<'bus' | 'clock' | 'db'>, actor: Actor, given: EmbedInput): EmbedConfig {
  const input = parseInput(embedInput, given);
  checkContrast(input);
  commitChange(ctx, { cause: 'page.embed_changed', actor, subject: () => getEmbed(ctx.db) }, () => {
    setSetting(ctx.db, 'embed.config', JSON.stringify(input));
    return { result: undefined, ids: [] };
  });
  return getEmbed(ctx.db);
}
