import type { Config } from '../config.js';
import type { Incident } from '../domain/incidents/queries.js';
import type { Views } from '../render/engine.js';
import type { ComponentShape } from './shapes.js';
import { xmlAttr, xmlText } from './xml.js';

export const ATOM = 'application/atom+xml; charset=utf-8';
export const RSS = 'application/rss+xml; charset=utf-8';
/** As Statuspage: the 50 entries most recently updated. */
export const FEED_ENTRIES = 50;
/** Public data a feed reader running in a browser may fetch from another origin. */
const CORS = { 'Access-Control-Allow-Origin': '*' };

/**
 * A public document made of text: its path, the component its query names (`?component=ID`), what it
 * is made of (`input`: the same input, the same text) and how to write it, called only when that changed.
 */
export interface TextDocument {
  path: string;
  component?: string;
  input: string;
  render: () => string;
  type: string;
  headers: Record<string, string>;
}

interface Entry {
  /** A tag URI (RFC 4151): the page's host, the day the incident was created, its kind and id; never changes. */
  id: string;
  updated: string;
  /** The entry as each format writes it, its content escaped. */
  atom: string;
  rss: string;
}

const KIND_LABELS: Record<Incident['kind'], string> = { incident: 'Incident', maintenance: 'Maintenance' };

const instant = (iso: string) => new Date(iso).toISOString();

/**
 * When the entry last changed: its newest update, the newest edit of one (an edited message counts), or
 * the incident's own last change (a rename, a postmortem published or taken back: a revert removes an
 * update, and the entry still changed).
 */
export function lastUpdate(incident: Incident): string {
  let last = incident.updated_at > incident.created_at ? incident.updated_at : incident.created_at;
  for (const u of incident.incident_updates) {
    if (u.display_at > last) last = u.display_at;
    if (u.updated_at > last) last = u.updated_at;
  }
  return instant(last);
}

function entryOf(incident: Incident, views: Views, config: Config, host: string): Entry {
  const id = `tag:${host},${instant(incident.created_at).slice(0, 10)}:${incident.kind}/${incident.id}`;
  const url = `${config.publicUrl}/incidents/${incident.id}`;
  const updated = lastUpdate(incident);
  // The whole timeline as HTML (views/partials/feeds/entry.hbs), escaped again where it goes into XML.
  const html = xmlText(
    views
      .partial('feeds/entry', { incident, timeZone: config.timeZone })
      .replace(/\n\s*\n/g, '\n')
      .trim(),
  );
  const kind = KIND_LABELS[incident.kind];
  const atom = [
    '  <entry>',
    `    <id>${xmlText(id)}</id>`,
    `    <title>${xmlText(incident.name)}</title>`,
    `    <link rel="alternate" type="text/html" href="${xmlAttr(url)}"/>`,
    `    <published>${instant(incident.created_at)}</published>`,
    `    <updated>${updated}</updated>`,
    `    <category term="${incident.kind}" label="${kind}"/>`,
    `    <content type="html">${html}</content>`,
    '  </entry>',
  ];
  // RSS 2.0: the date in RFC 822 (as RFC 1123 writes it), the tag URI as a guid that is no link.
  const rss = [
    '    <item>',
    `      <title>${xmlText(incident.name)}</title>`,
    `      <link>${xmlText(url)}</link>`,
    `      <guid isPermaLink="false">${xmlText(id)}</guid>`,
    `      <pubDate>${new Date(updated).toUTCString()}</pubDate>`,
    `      <category>${kind}</category>`,
    `      <description>${html}</description>`,
    '    </item>',
  ];
  return { id, updated, atom: atom.join('\n'), rss: rss.join('\n') };
}

interface FeedHead {
  title: string;
  /** The feed's own path with its query ("/history.atom?component=ID"), without the extension. */
  query: string;
  /** The page the feed is about. */
  alternate: string;
  /** The newest entry's time; without entries, the page's last change. */
  updated: string;
  author: string;
}

/** RFC 4287. */
function atom(config: Config, head: FeedHead, entries: Entry[]): string {
  const self = `${config.publicUrl}/history.atom${head.query}`;
  const lines = [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en" xml:base="${xmlAttr(`${config.publicUrl}/`)}">`,
    `  <id>${xmlText(self)}</id>`,
    `  <title>${xmlText(head.title)}</title>`,
    `  <updated>${head.updated}</updated>`,
    `  <link rel="alternate" type="text/html" href="${xmlAttr(head.alternate)}"/>`,
    `  <link rel="self" type="application/atom+xml" href="${xmlAttr(self)}"/>`,
    `  <author><name>${xmlText(head.author)}</name></author>`,
    '  <generator>Pharos</generator>',
    ...entries.map((e) => e.atom),
    '</feed>',
  ];
  return lines.join('\n') + '\n';
}

/** RSS 2.0, with Atom's self link. */
function rss(config: Config, head: FeedHead, entries: Entry[]): string {
  const lines = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">',
    '  <channel>',
    `    <title>${xmlText(head.title)}</title>`,
    `    <link>${xmlText(head.alternate)}</link>`,
    `    <description>${xmlText(`Incidents and maintenance reported on ${head.author}`)}</description>`,
    '    <language>en</language>',
    `    <lastBuildDate>${new Date(head.updated).toUTCString()}</lastBuildDate>`,
    '    <generator>Pharos</generator>',
    `    <atom:link rel="self" type="application/rss+xml" href="${xmlAttr(`${config.publicUrl}/history.rss${head.query}`)}"/>`,
    ...entries.map((e) => e.rss),
    '  </channel>',
    '</rss>',
  ];
  return lines.join('\n') + '\n';
}

/**
 * The page's Atom and RSS feeds (/history.atom, /history.rss), and each component's and group's
 * (?component=ID: the incidents and maintenance windows that affect it, or one of a group's
 * components). Each incident's entry is rendered once, and again only when the incident (or the
 * zone, or the address) changed; a feed is written again only when one of its entries was.
 */
export class Feeds {
  private entries = new Map<string, { input: string; rev: number; entry: Entry }>();
  private rev = 0;

  /** `incidents`: every incident and window; `components`: the v2 components, groups included; `pageUpdated`: the page's last change, the time of a feed without entries. */
  build(views: Views, config: Config, incidents: Incident[], components: ComponentShape[], pageUpdated: string): TextDocument[] {
    const host = new URL(config.publicUrl).hostname;
    const seen = new Map<string, { input: string; rev: number; entry: Entry }>();
    for (const incident of incidents) {
      const input = JSON.stringify([incident, config.timeZone, config.publicUrl]);
      let cached = this.entries.get(incident.id);
      if (cached?.input !== input) cached = { input, rev: ++this.rev, entry: entryOf(incident, views, config, host) };
      seen.set(incident.id, cached);
    }
    // Entries of incidents gone (deleted) leave with the build.
    this.entries = seen;
    const byUpdate = [...incidents].sort(
      (a, b) =>
        (seen.get(b.id)?.entry.updated ?? '').localeCompare(seen.get(a.id)?.entry.updated ?? '') ||
        b.created_at.localeCompare(a.created_at) ||
        a.id.localeCompare(b.id),
    );

    const out: TextDocument[] = [];
    const feeds = (component: ComponentShape | undefined, selected: Incident[]) => {
      const chosen = selected.slice(0, FEED_ENTRIES).flatMap((i) => seen.get(i.id) ?? []);
      const entries = chosen.map((c) => c.entry);
      const head: FeedHead = {
        title: component ? `${config.pageName} – ${component.name} – Incident history` : `${config.pageName} – Incident history`,
        query: component ? `?component=${encodeURIComponent(component.id)}` : '',
        alternate: `${config.publicUrl}/`,
        updated: entries[0]?.updated ?? instant(pageUpdated),
        author: config.pageName,
      };
      // What the feed is made of: its head and which version of each entry.
      const input = JSON.stringify([head, config.publicUrl, chosen.map((c) => c.rev)]);
      const id = component ? { component: component.id } : {};
      out.push({ path: '/history.atom', ...id, input, render: () => atom(config, head, entries), type: ATOM, headers: CORS });
      out.push({ path: '/history.rss', ...id, input, render: () => rss(config, head, entries), type: RSS, headers: CORS });
    };
    feeds(undefined, byUpdate);
    for (const c of components) {
      const members = new Set(c.group ? (c.components ?? []) : [c.id]);
      feeds(
        c,
        byUpdate.filter((i) => i.components.some((affected) => members.has(affected.id))),
      );
    }
    return out;
  }
}
