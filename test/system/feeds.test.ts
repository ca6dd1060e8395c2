import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { parseFeed } from '@rowanmanning/feed-parser';
import request from 'supertest';
import { scheduleMaintenance } from '../../server/domain/incidents/maintenance.js';
import { createIncident, deleteIncident, editUpdate, patchIncident } from '../../server/domain/incidents/writes.js';
import { setBranding } from '../../server/domain/page/branding.js';
import { createComponent, updateComponent } from '../../server/domain/page/components.js';
import { createGroup } from '../../server/domain/page/groups.js';
import { setPageZone } from '../../server/domain/page/time-zone.js';
import { startPharos, type TestPharos } from '../helpers/pharos.js';
import { hasXmllint, parseXml, validateXml, xmllint } from '../helpers/xml.js';

const system = { type: 'system' } as const;
const HOUR = 3_600_000;
const HOSTILE_INCIDENT = '<script>alert("feed")</script> Web & CDN down';
const HOSTILE_COMPONENT = '<img src=x onerror=alert(1)> "Edge"';

/** Well-formed for fast-xml-parser and, where it is installed (CI installs it), for libxml2's xmllint. */
function assertWellFormed(t: TestContext, text: string, what: string): void {
  assert.equal(validateXml(text), true, what);
  if (hasXmllint) assert.equal(xmllint(text), '', `${what}: xmllint`);
  else t.diagnostic('xmllint is not installed (Debian: libxml2-utils): checked by fast-xml-parser only');
}

/**
 * Each entry's HTML as the XML holds it, unescaped once (the feed parser unescapes it a second time, as
 * text for display, so it cannot tell escaped markup from markup).
 */
function entryHtml(text: string, id: string): string {
  const doc = parseXml(text, ['entry', 'item']) as {
    feed?: { entry?: { id: string; content: { '#text': string } }[] };
    rss?: { channel: { item?: { guid: { '#text': string }; description: string }[] } };
  };
  const atom = doc.feed?.entry?.find((e) => e.id.endsWith(`/${id}`));
  const rss = doc.rss?.channel.item?.find((i) => i.guid['#text'].endsWith(`/${id}`));
  return atom?.content['#text'] ?? rss?.description ?? '';
}

/**
 * /history.atom and /history.rss, as Atlassian Statuspage serves them: one entry per incident and
 * maintenance window, the most recently updated first, each with a stable tag URI, its page and its
 * whole timeline; per component (or group) with ?component=ID; from the snapshot, with ETags.
 */
describe('the Atom and RSS feeds of the history', () => {
  let p: TestPharos;
  const ids = { group: '', api: '', db: '', web: '', edge: '', errors: '', web_down: '', window: '' };

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${p.url}${path}`, { headers });
  const feed = async (path: string) => {
    const res = await get(path);
    assert.equal(res.status, 200, path);
    const text = await res.text();
    return { res, text, parsed: parseFeed(text) };
  };
  const entryIds = async (path: string) => (await feed(path)).parsed.items.map((i) => i.url?.split('/').pop());

  before(async () => {
    p = await startPharos({ listen: true, env: { TIME_ZONE: 'Etc/UTC' } });
    // The page's zone from Settings, over TIME_ZONE: the feeds' times are in it.
    setPageZone(p.ctx, system, { time_zone: 'Europe/Paris' });
    ids.group = createGroup(p.ctx, system, { name: 'Backend' }).id;
    ids.api = createComponent(p.ctx, system, { name: 'API', group_id: ids.group }).id;
    ids.db = createComponent(p.ctx, system, { name: 'Database', group_id: ids.group }).id;
    ids.web = createComponent(p.ctx, system, { name: 'Web' }).id;
    ids.edge = createComponent(p.ctx, system, { name: HOSTILE_COMPONENT }).id;
    // 10:00 UTC, 11:00 in Paris.
    ids.errors = createIncident(p.ctx, system, { name: 'Elevated errors', body: 'Looking into it.', components: { [ids.api]: 'partial_outage' } }).id;
    p.clock.advance(HOUR);
    ids.web_down = createIncident(p.ctx, system, {
      name: HOSTILE_INCIDENT,
      body: 'A **bold** claim <script>alert(2)</script> & more',
      components: { [ids.web]: 'major_outage', [ids.edge]: 'degraded_performance' },
    }).id;
    p.clock.advance(HOUR);
    ids.window = scheduleMaintenance(p.ctx, system, {
      name: 'Database upgrade',
      scheduled_for: '2026-12-02T02:00:00Z',
      scheduled_until: '2026-12-02T03:30:00Z',
      component_ids: [ids.db],
    }).id;
    p.clock.advance(HOUR);
    // 13:00 UTC: the oldest incident's new update makes it the most recently updated.
    patchIncident(p.ctx, system, ids.errors, { status: 'identified', body: 'A bad deploy: rolling back.' });
  });
  after(() => p.close());

  for (const [path, type, kind] of [
    ['/history.atom', 'application/atom+xml; charset=utf-8', 'atom'],
    ['/history.rss', 'application/rss+xml; charset=utf-8', 'rss'],
  ] as const) {
    it(`${path} is a well-formed ${kind} feed: the page's name, its links, updated at the last update`, async (t) => {
      const { res, text, parsed } = await feed(path);
      assert.equal(res.headers.get('content-type'), type);
      assertWellFormed(t, text, path);
      assert.equal(parsed.meta.type, kind);
      assert.equal(parsed.title, 'Acme Status – Incident history');
      assert.equal(parsed.url, `${p.url}/`);
      assert.equal(parsed.self, `${p.url}${path}`);
      assert.equal(parsed.updated?.toISOString(), '2026-11-30T13:00:00.000Z');
      assert.equal(parsed.items.length, 3, 'one entry per incident and window');
    });
  }

  it('lists entries most recently updated first, each linked to its page, updated at its last update', async () => {
    for (const path of ['/history.atom', '/history.rss']) {
      const { parsed } = await feed(path);
      assert.deepEqual(
        parsed.items.map((i) => i.url),
        [ids.errors, ids.window, ids.web_down].map((id) => `${p.url}/incidents/${id}`),
        path,
      );
      assert.deepEqual(
        parsed.items.map((i) => i.updated?.toISOString()),
        ['2026-11-30T13:00:00.000Z', '2026-11-30T12:00:00.000Z', '2026-11-30T11:00:00.000Z'],
        path,
      );
    }
    const atom = (await feed('/history.atom')).parsed;
    assert.equal(atom.items[0]?.published?.toISOString(), '2026-11-30T10:00:00.000Z', 'published when it was created');
  });

  it('gives each entry a tag URI that stays the same across rebuilds, in both formats', async () => {
    const before = (await feed('/history.atom')).parsed.items.map((i) => i.id);
    assert.deepEqual(before, [
      `tag:127.0.0.1,2026-11-30:incident/${ids.errors}`,
      `tag:127.0.0.1,2026-11-30:maintenance/${ids.window}`,
      `tag:127.0.0.1,2026-11-30:incident/${ids.web_down}`,
    ]);
    assert.deepEqual(
      (await feed('/history.rss')).parsed.items.map((i) => i.id),
      before,
      'the RSS guid is the same URI',
    );
    const version = p.ctx.snapshot.current().version;
    p.clock.advance(60_000);
    createComponent(p.ctx, system, { name: 'Added later' });
    patchIncident(p.ctx, system, ids.web_down, { body: 'Still on it.' });
    assert.ok(p.ctx.snapshot.current().version > version, 'rebuilt');
    const afterwards = (await feed('/history.atom')).parsed.items.map((i) => i.id);
    assert.deepEqual([...afterwards].sort(), [...before].sort());
    assert.equal(afterwards[0], before[2], 'the incident just updated comes first, under the same id');
  });

  it("carries the whole timeline as HTML, newest update first, times in the page's zone; maintenance says its window", async () => {
    const items = (await feed('/history.atom')).parsed.items;
    const errors = items.find((i) => i.url?.endsWith(ids.errors))?.content ?? '';
    assert.match(errors, /<small>30 Nov 2026, 14:00 UTC\+1<\/small><br><strong>Identified<\/strong>/);
    assert.match(errors, /<small>30 Nov 2026, 11:00 UTC\+1<\/small><br><strong>Investigating<\/strong>/);
    assert.ok(errors.indexOf('Identified') < errors.indexOf('Investigating'), 'newest first');
    assert.match(errors, /<p>A bad deploy: rolling back.<\/p>/);
    assert.match(errors, /API: Operational → Partial outage/);
    const window = items.find((i) => i.url?.endsWith(ids.window))?.content ?? '';
    assert.match(window, /<strong>Scheduled maintenance<\/strong> from 2 Dec 2026, 03:00 UTC\+1 until 2 Dec 2026, 04:30 UTC\+1/);
    assert.match(window, /Affected components: Database/);
    const rssWindow = (await feed('/history.rss')).parsed.items.find((i) => i.url?.endsWith(ids.window));
    assert.match(rssWindow?.content ?? rssWindow?.description ?? '', /from 2 Dec 2026, 03:00 UTC\+1 until 2 Dec 2026, 04:30 UTC\+1/);
  });

  it('keeps hostile names and messages text: escaped in the XML, escaped again in the HTML', async () => {
    for (const path of ['/history.atom', '/history.rss', `/history.atom?component=${ids.edge}`]) {
      const { text, parsed } = await feed(path);
      assert.doesNotMatch(text, /<script|<img/i, `${path}: no markup from a name in the XML`);
      const entry = parsed.items.find((i) => i.url?.endsWith(ids.web_down));
      assert.equal(entry?.title, HOSTILE_INCIDENT, `${path}: the title is the name, as text`);
      const html = entryHtml(text, ids.web_down);
      assert.doesNotMatch(html, /<script|<img/i, `${path}: no markup from a name or message in the HTML`);
      assert.match(html, /&lt;script&gt;alert\(2\)&lt;\/script&gt; &amp; more/);
      assert.match(html, /&lt;img src&#x3D;x onerror&#x3D;alert\(1\)&gt; &quot;Edge&quot;/, 'Handlebars escapes the name');
      assert.match(html, /<strong>bold<\/strong>/, 'Markdown is rendered as on the page');
    }
    assert.match((await feed(`/history.rss?component=${ids.edge}`)).parsed.title ?? '', /<img src=x onerror=alert\(1\)> "Edge"/);
  });

  it('has a feed per component and group: only what affects it; an unknown id is 404', async () => {
    assert.deepEqual(await entryIds(`/history.atom?component=${ids.api}`), [ids.errors]);
    assert.deepEqual(await entryIds(`/history.rss?component=${ids.db}`), [ids.window]);
    assert.deepEqual(await entryIds(`/history.atom?component=${ids.web}`), [ids.web_down]);
    assert.deepEqual(await entryIds(`/history.rss?component=${ids.group}`), [ids.errors, ids.window], "a group's: any of its components");
    const api = await feed(`/history.atom?component=${ids.api}&utm_source=reader`);
    assert.equal(api.parsed.title, 'Acme Status – API – Incident history');
    assert.equal(api.parsed.self, `${p.url}/history.atom?component=${ids.api}`);
    // Nothing affected it yet: an empty feed, well-formed, updated at the page's last change.
    const quiet = createComponent(p.ctx, system, { name: 'Quiet' }).id;
    const empty = await feed(`/history.atom?component=${quiet}`);
    assert.equal(empty.parsed.items.length, 0);
    assert.equal(validateXml(empty.text), true);
    assert.ok(empty.parsed.updated);
    for (const path of ['/history.atom?component=nosuch', '/history.rss?component=nosuch']) {
      const res = await get(path);
      assert.equal(res.status, 404, path);
      await res.text();
    }
    assert.equal((await feed('/history.atom?component=')).parsed.items.length, 3, 'an empty id: the whole page');
  });

  it('answers from the snapshot: an ETag and 304, the same bytes as through Express, the ETag kept while nothing in it changes', async () => {
    for (const path of ['/history.atom', `/history.rss?component=${ids.api}`]) {
      const first = await get(path, { 'Accept-Encoding': 'gzip' });
      const etag = first.headers.get('etag') ?? '';
      assert.match(etag, /^"[A-Za-z0-9_-]{27}-gz"$/);
      assert.equal(first.headers.get('cache-control'), 'public, no-cache, stale-if-error=86400');
      assert.equal(first.headers.get('access-control-allow-origin'), '*');
      const text = await first.text();
      const again = await get(path, { 'Accept-Encoding': 'gzip', 'If-None-Match': etag });
      assert.equal(again.status, 304, path);
      assert.equal(await again.text(), '');
      const viaExpress = await request(p.app).get(path).set('Accept-Encoding', 'gzip').buffer(true);
      assert.equal(viaExpress.headers.etag, etag, `${path}: Express serves the same document`);
      assert.equal(viaExpress.text, text);
    }
    const page = await get('/history.atom');
    const etag = page.headers.get('etag');
    await page.text();
    createComponent(p.ctx, system, { name: 'Unrelated' });
    assert.equal((await get('/history.atom', { 'If-None-Match': etag ?? '' })).status, 304, 'an unrelated change keeps the feed');
    patchIncident(p.ctx, system, ids.errors, { body: 'Rolled back; watching.' });
    assert.equal((await get('/history.atom', { 'If-None-Match': etag ?? '' })).status, 200, 'a new update changes it');
  });

  it('links the feeds from every public page’s head, and visibly from the footer and the history', async () => {
    for (const path of ['/', '/history', `/incidents/${ids.errors}`]) {
      const html = await (await get(path)).text();
      assert.match(html, /<link rel="alternate" type="application\/atom\+xml" href="\/history.atom" title="Acme Status incident history \(Atom\)">/, path);
      assert.match(html, /<link rel="alternate" type="application\/rss\+xml" href="\/history.rss" title="Acme Status incident history \(RSS\)">/, path);
      assert.match(html, /<footer[\s\S]*<a href="\/history.atom">Atom<\/a> \/ <a href="\/history.rss">RSS<\/a>/, path);
    }
    assert.match(await (await get('/history')).text(), /in a feed reader: <a href="\/history.atom"/);
  });

  it('follows every change to what it shows: a renamed component or page, an edited message, a deleted incident', async () => {
    const etag = async (path: string) => {
      const res = await get(path);
      await res.text();
      return res.headers.get('etag');
    };
    const dbFeed = `/history.atom?component=${ids.db}`;
    const [dbBefore, webBefore] = [await etag(dbFeed), await etag(`/history.atom?component=${ids.web}`)];
    updateComponent(p.ctx, system, ids.db, { name: 'Primary database' });
    assert.match((await feed(dbFeed)).parsed.items[0]?.content ?? '', /Affected components: Primary database/);
    assert.notEqual(await etag(dbFeed), dbBefore);
    assert.equal(await etag(`/history.atom?component=${ids.web}`), webBefore, "another component's feed keeps its bytes");

    const incident = createIncident(p.ctx, system, { name: 'Short-lived', body: 'First words.', components: { [ids.web]: 'degraded_performance' } });
    p.clock.advance(5 * 60_000);
    editUpdate(p.ctx, system, incident.id, incident.incident_updates[0]?.id ?? '', { body: 'Better words.' });
    const edited = (await feed('/history.atom')).parsed.items[0];
    assert.equal(edited?.title, 'Short-lived');
    assert.match(edited?.content ?? '', /Better words\./);
    assert.equal(edited?.updated?.getTime(), p.clock.now().getTime(), 'an edited message updates the entry');
    deleteIncident(p.ctx, system, incident.id);
    assert.ok(!(await entryIds('/history.rss')).includes(incident.id), 'a deleted incident leaves the feeds');
    assert.ok(!(await entryIds(`/history.atom?component=${ids.web}`)).includes(incident.id));

    setBranding(p.ctx, system, { page_name: 'Acme <Cloud>', accent: '', site_url: '', support_url: '', privacy_url: '', terms_url: '' });
    const { text, parsed } = await feed(`/history.rss?component=${ids.api}`);
    assert.equal(parsed.title, 'Acme <Cloud> – API – Incident history');
    assert.match(text, /<title>Acme &lt;Cloud&gt; – API – Incident history<\/title>/);
    setBranding(p.ctx, system, { page_name: 'Acme Status', accent: '', site_url: '', support_url: '', privacy_url: '', terms_url: '' });
  });

  it('holds the 50 most recently updated entries', async () => {
    for (let n = 0; n < 50; n++) {
      p.clock.advance(60_000);
      createIncident(p.ctx, system, { name: `Blip ${n}`, body: 'Short.', components: { [ids.web]: 'degraded_performance' } });
    }
    for (const path of ['/history.atom', '/history.rss', `/history.atom?component=${ids.web}`]) {
      const items = (await feed(path)).parsed.items;
      assert.equal(items.length, 50, path);
      assert.equal(items[0]?.title, 'Blip 49', path);
      assert.equal(items.at(-1)?.title, 'Blip 0', path);
    }
    assert.deepEqual(await entryIds(`/history.atom?component=${ids.api}`), [ids.errors], 'a quieter component keeps its own');
  });
});
