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

/** A public document made of text: its path, and the component its query names (`?component=ID`). */
export interface TextDocument {
  path: string;
  component?: string;
  text: string;
  type: string;
  headers: Record<string, string>;
}

interface Entry {
  /** A tag URI (RFC 4151): the page's host, the day the incident was created, its kind and id; never changes. */
  id: string;
  title: string;
  kind: Incident['kind'];
  url: string;
  published: string;
  updated: string;
  /** The whole timeline as HTML (views/partials/feeds/entry.hbs), escaped again where it goes into XML. */
  html: string;
}

const instant = (iso: string) => new Date(iso).toISOString();

/** When the entry last changed: its newest update, or the newest edit of one (an edited message counts). */
export function lastUpdate(incident: Incident): string {
  let last = incident.created_at;
  for (const u of incident.incident_updates) {
    if (u.display_at > last) last = u.display_at;
    if (u.updated_at > last) last = u.updated_at;
  }
  return instant(last);
}

function entryOf(incident: Incident, views: Views, config: Config, host: string): Entry {
  return {
    id: `tag:${host},${instant(incident.created_at).slice(0, 10)}:${incident.kind}/${incident.id}`,
    title: incident.name,
    kind: incident.kind,
    url: `${config.publicUrl}/incidents/${incident.id}`,
    published: instant(incident.created_at),
    updated: lastUpdate(incident),
    html: views
      .partial('feeds/entry', { incident, timeZone: config.timeZone })
      .replace(/\n\s*\n/g, '\n')
      .trim(),
  };
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

const KIND_LABELS: Record<Incident['kind'], string> = { incident: 'Incident', maintenance: 'Maintenance' };

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
  ];
  for (const e of entries) {
    lines.push(
      '  <entry>',
      `    <id>${xmlText(e.id)}</id>`,
      `    <title>${xmlText(e.title)}</title>`,
      `    <link rel="alternate" type="text/html" href="${xmlAttr(e.url)}"/>`,
      `    <published>${e.published}</published>`,
      `    <updated>${e.updated}</updated>`,
      `    <category term="${e.kind}" label="${KIND_LABELS[e.kind]}"/>`,
      `    <content type="html">${xmlText(e.html)}</content>`,
      '  </entry>',
    );
  }
  lines.push('</feed>');
  return lines.join('\n') + '\n';
}

/** RSS 2.0: dates in RFC 822 (as RFC 1123 writes them), the tag URI as a guid that is no link. */
function rss(config: Config, head: FeedHead, entries: Entry[]): string {
  const date = (iso: string) => new Date(iso).toUTCString();
  const lines = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">',
    '  <channel>',
    `    <title>${xmlText(head.title)}</title>`,
    `    <link>${xmlText(head.alternate)}</link>`,
    `    <description>${xmlText(`Incidents and maintenance reported on ${head.author}`)}</description>`,
    '    <language>en</language>',
    `    <lastBuildDate>${date(head.updated)}</lastBuildDate>`,
    '    <generator>Pharos</generator>',
    `    <atom:link rel="self" type="application/rss+xml" href="${xmlAttr(`${config.publicUrl}/history.rss${head.query}`)}"/>`,
  ];
  for (const e of entries) {
    lines.push(
      '    <item>',
      `      <title>${xmlText(e.title)}</title>`,
      `      <link>${xmlText(e.url)}</link>`,
      `      <guid isPermaLink="false">${xmlText(e.id)}</guid>`,
      `      <pubDate>${date(e.updated)}</pubDate>`,
      `      <category>${KIND_LABELS[e.kind]}</category>`,
      `      <description>${xmlText(e.html)}</description>`,
      '    </item>',
    );
  }
  lines.push('  </channel>', '</rss>');
  return lines.join('\n') + '\n';
}

/**
 * The page's Atom and RSS feeds (/history.atom, /history.rss), and each component's and group's
 * (?component=ID: the incidents and maintenance windows that affect it, or one of a group's
 * components). `incidents`: every incident and window; `components`: the v2 components, groups
 * included; `pageUpdated`: the page's last change, the time of a feed without entries. Each
 * incident's entry is rendered once per build, whatever the number of feeds it is in.
 */
export function feedDocuments(views: Views, config: Config, incidents: Incident[], components: ComponentShape[], pageUpdated: string): TextDocument[] {
  const host = new URL(config.publicUrl).hostname;
  const rendered = new Map<string, Entry>();
  const entry = (incident: Incident) => {
    let e = rendered.get(incident.id);
    if (!e) rendered.set(incident.id, (e = entryOf(incident, views, config, host)));
    return e;
  };
  const byUpdate = incidents
    .map((incident) => ({ incident, updated: lastUpdate(incident) }))
    .sort(
      (a, b) => b.updated.localeCompare(a.updated) || b.incident.created_at.localeCompare(a.incident.created_at) || a.incident.id.localeCompare(b.incident.id),
    )
    .map((x) => x.incident);

  const out: TextDocument[] = [];
  const feeds = (component: ComponentShape | undefined, selected: Incident[]) => {
    const entries = selected.slice(0, FEED_ENTRIES).map(entry);
    const head: FeedHead = {
      title: component ? `${config.pageName} – ${component.name} – Incident history` : `${config.pageName} – Incident history`,
      query: component ? `?component=${encodeURIComponent(component.id)}` : '',
      alternate: `${config.publicUrl}/`,
      updated: entries[0]?.updated ?? instant(pageUpdated),
      author: config.pageName,
    };
    const id = component ? { component: component.id } : {};
    out.push({ path: '/history.atom', ...id, text: atom(config, head, entries), type: ATOM, headers: CORS });
    out.push({ path: '/history.rss', ...id, text: rss(config, head, entries), type: RSS, headers: CORS });
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
