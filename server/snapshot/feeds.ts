import type { Config } from '../config.js';
import type { Incident } from '../domain/incidents/queries.js';
import type { Views } from '../render/engine.js';
import type { ComponentShape } from './shapes.js';
import type { IndexChanges, PageIndex } from './page-index.js';
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

/** The order of a feed's entries: the most recently updated first, then the newest, then by id. */
interface Place {
  updated: string;
  created: string;
  id: string;
}
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** (Code-unit order: the times are ISO strings of one form, the ids [a-z0-9]; a locale's collation costs more and says no more.) */
const before = (a: Place, b: Place) => cmp(b.updated, a.updated) || cmp(b.created, a.created) || cmp(a.id, b.id);

/** Where `place` is, or goes, in a list ordered by `before`. */
function indexOf(list: Place[], place: Place): number {
  let [lo, hi] = [0, list.length];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (before(list[mid] as Place, place) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The page's Atom and RSS feeds (/history.atom, /history.rss), and each component's and group's
 * (?component=ID: the incidents and maintenance windows that affect it, or one of a group's
 * components). The order of the entries is kept as incidents change (one list for the page, one per
 * component), so a change costs its own place, not a sort of the history; an entry is rendered when a
 * feed first shows it, and again only when its incident (or the zone, or the address) changed.
 */
export class Feeds {
  private entries = new Map<string, { rev: number; basis: string; entry: Entry }>();
  private readonly places = new Map<string, Place>();
  private all: Place[] = [];
  private readonly byComponent = new Map<string, Place[]>();

  /** Brings the order up to date with what the index read again (everything when `changes.full`). */
  update(index: PageIndex, changes: IndexChanges): void {
    if (changes.full) {
      this.places.clear();
      this.byComponent.clear();
      this.entries.clear();
      for (const [id, { incident }] of index.incidents) this.places.set(id, { updated: lastUpdate(incident), created: incident.created_at, id });
      this.all = [...this.places.values()].sort(before);
      for (const place of this.all) for (const c of index.incidents.get(place.id)?.incident.components ?? []) this.listOf(c.id).push(place);
      return;
    }
    for (const { id, before: was, after } of changes.incidents) {
      const old = this.places.get(id);
      if (old) {
        this.take(this.all, old);
        for (const c of was?.incident.components ?? []) this.take(this.listOf(c.id), old);
        this.places.delete(id);
        this.entries.delete(id);
      }
      if (!after) continue;
      const place = { updated: lastUpdate(after.incident), created: after.incident.created_at, id };
      this.places.set(id, place);
      this.all.splice(indexOf(this.all, place), 0, place);
      for (const c of after.incident.components) {
        const list = this.listOf(c.id);
        list.splice(indexOf(list, place), 0, place);
      }
    }
  }

  /** The feeds as text documents: `components` are the v2 components, groups included; `pageUpdated` is the time of a feed without entries. */
  documents(index: PageIndex, views: Views, config: Config, components: ComponentShape[], pageUpdated: string): TextDocument[] {
    const host = new URL(config.publicUrl).hostname;
    const basis = JSON.stringify([config.timeZone, config.publicUrl]);
    const entry = (id: string): Entry[] => {
      const indexed = index.incidents.get(id);
      if (!indexed) return [];
      let cached = this.entries.get(id);
      if (cached?.rev !== indexed.rev || cached.basis !== basis) {
        cached = { rev: indexed.rev, basis, entry: entryOf(indexed.incident, views, config, host) };
        this.entries.set(id, cached);
      }
      return [cached.entry];
    };
    const out: TextDocument[] = [];
    const feeds = (component: ComponentShape | undefined, chosen: Place[]) => {
      const head: FeedHead = {
        title: component ? `${config.pageName} – ${component.name} – Incident history` : `${config.pageName} – Incident history`,
        query: component ? `?component=${encodeURIComponent(component.id)}` : '',
        alternate: `${config.publicUrl}/`,
        updated: chosen[0]?.updated ?? instant(pageUpdated),
        author: config.pageName,
      };
      // What the feed is made of: its head and which version of each entry.
      const input = JSON.stringify([head, basis, chosen.map((p) => index.incidents.get(p.id)?.rev)]);
      const entries = () => chosen.flatMap((p) => entry(p.id));
      const id = component ? { component: component.id } : {};
      out.push({ path: '/history.atom', ...id, input, render: () => atom(config, head, entries()), type: ATOM, headers: CORS });
      out.push({ path: '/history.rss', ...id, input, render: () => rss(config, head, entries()), type: RSS, headers: CORS });
    };
    feeds(undefined, this.all.slice(0, FEED_ENTRIES));
    for (const c of components) {
      // A group's feed: the newest of its components' own, merged.
      const lists = (c.group ? (c.components ?? []) : [c.id]).map((m) => (this.byComponent.get(m) ?? []).slice(0, FEED_ENTRIES));
      const merged = lists.length === 1 ? (lists[0] ?? []) : [...new Set(lists.flat())].sort(before).slice(0, FEED_ENTRIES);
      feeds(c, merged);
    }
    return out;
  }

  private listOf(componentId: string): Place[] {
    let list = this.byComponent.get(componentId);
    if (!list) this.byComponent.set(componentId, (list = []));
    return list;
  }

  private take(list: Place[], place: Place): void {
    const at = indexOf(list, place);
    if (list[at] === place) list.splice(at, 1);
  }
}
