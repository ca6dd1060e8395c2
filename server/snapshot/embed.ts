import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EmbedConfig } from '../domain/page/embed.js';
import type { Incident } from '../domain/incidents/queries.js';
import { projectRoot } from '../lib/paths.js';
import type { Views } from '../render/engine.js';
import { makeBody, type Body } from './body.js';
import type { PageState } from './build.js';
import type { MaintenanceCard } from './maintenance-card.js';

/** The longest latest-update text the box shows (the incident's page has the rest). */
const SNIPPET = 160;

/**
 * The frame's own policy, stricter than the page's: its script and stylesheets, a fetch of itself, no
 * forms, no images; framed by the sites listed in Settings, or by any. It says who may frame it, so no
 * X-Frame-Options is sent with it (body.ts).
 */
export function frameCsp(origins: readonly string[]): string {
  const ancestors = origins.length ? origins.join(' ') : '*';
  return `default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors ${ancestors}`;
}

/** Markdown as a line of plain text: what the box has room for. */
export function snippet(markdown: string, max = SNIPPET): string {
  const text = markdown
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/^\s{0,3}(#{1,6}|>|[-*+]|\d+[.)])\s+/gm, '')
    .replace(/[*_`~]+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** /embed/colours.css: the box's colours from Settings (the layout is public/css/embed.css). */
function coloursCss(embed: EmbedConfig): string {
  const rule = (kind: 'incident' | 'maintenance', background: string, text: string) =>
    `.embed--${kind} {\n  background: ${background};\n  color: ${text};\n}\n`;
  return (
    "/* Pharos: the embed's colours, from Admin → Settings → Embed. */\n" +
    rule('incident', embed.incident_background_color, embed.incident_text_color) +
    rule('maintenance', embed.maintenance_background_color, embed.maintenance_text_color)
  );
}

/**
 * The embed's documents, rebuilt with the snapshot: /embed/frame (the box, or nothing when all is well),
 * its colours, and /embed/script.js (public/embed/script.js, which another site's page loads), each
 * served like every public document, by the fast path, on the primary and on edges.
 */
export class EmbedDocuments {
  private readonly script: Body;

  constructor(root = projectRoot()) {
    // Loaded from any site: readable across origins (CORP), and with CORS for a crossorigin script tag.
    this.script = makeBody(readFileSync(join(root, 'public', 'embed', 'script.js')), 'text/javascript; charset=utf-8', {
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
    });
  }

  build(views: Views, state: PageState, embed: EmbedConfig, common: { pageName: string; timeZone: string }): Map<string, Body> {
    // Statuspage's embed: unresolved incidents, then maintenance in progress (not upcoming windows).
    const open: (Incident | MaintenanceCard)[] = [...state.unresolved, ...state.activeMaintenance];
    const first = open[0];
    // A window's operator's latest words, as its card on the page shows them; an incident's latest update.
    const latest = first && 'message' in first ? first.message : first?.incident_updates[0];
    // What a dismissal is remembered for: a new incident, window or update shows the box again.
    const key = open.length
      ? createHash('sha256')
          .update(open.map((i) => `${i.id}@${i.updated_at}`).join(' '))
          .digest('base64url')
          .slice(0, 16)
      : '';
    const frame = views.render(
      'public/embed-frame',
      {
        ...common,
        embed,
        key,
        item: first && { ...first, snippet: latest ? snippet(latest.body) : '' },
        more: open.length - 1,
      },
      null,
    );
    return new Map([
      [
        '/embed/frame',
        makeBody(frame, 'text/html; charset=utf-8', {
          'Content-Security-Policy': frameCsp(embed.origins),
          'Cross-Origin-Resource-Policy': 'cross-origin',
        }),
      ],
      ['/embed/colours.css', makeBody(coloursCss(embed), 'text/css; charset=utf-8')],
      ['/embed/script.js', this.script],
    ]);
  }
}
