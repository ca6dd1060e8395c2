import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createComponent } from '../../../server/domain/page/components.js';
import { deleteIncident } from '../../../server/domain/incidents/writes.js';
import { SNAPSHOT_CACHE_HEADERS } from '../../../server/snapshot/body.js';
import { NOT_FOUND } from '../../../server/snapshot/public-paths.js';
import { seedHistory } from '../../helpers/history.js';
import { startPharos, type TestPharos } from '../../helpers/pharos.js';

const system = { type: 'system' } as const;

/**
 * URLs an attacker makes up to cost the server more than a document (a history page far past the last,
 * unknown or deleted incidents and notices, feeds and badges of unknown components, odd query strings,
 * random paths): answered from the read model's prebuilt not-found documents, the same bytes and ETag
 * each time, never rendered or queried per request.
 */
describe('made-up URLs cost what a document costs', () => {
  let p: TestPharos;
  let deleted = '';
  const misses: [path: string, kind: keyof typeof NOT_FOUND, type: RegExp][] = [];

  before(async () => {
    p = await startPharos({ listen: true });
    // The component exists before its history.
    p.clock.advance(-(4 * 365) * 86_400_000);
    const api = createComponent(p.ctx, system, { name: 'API' }).id;
    p.clock.advance(4 * 365 * 86_400_000);
    const ids = seedHistory(p.ctx, p.clock, 3000, { components: [api], days: 3 * 365 });
    deleted = ids[1234] ?? '';
    deleteIncident(p.ctx, system, deleted);
    misses.push(
      ['/history?page=999999', 'page', /^text\/html/],
      ['/history?page=13', 'page', /^text\/html/],
      ['/history?page=99999999999999999999999', 'page', /^text\/html/],
      ['/incidents/nosuchincident', 'page', /^text\/html/],
      [`/incidents/${deleted}`, 'page', /^text\/html/],
      ['/incidents/NOT-AN-ID', 'page', /^text\/html/],
      ['/incidents/nosuchwindow.ics', 'calendar', /^text\/calendar/],
      ['/notices/nosuchnotice', 'page', /^text\/html/],
      ['/history.atom?component=nosuchcomponent', 'atom', /^application\/atom\+xml/],
      ['/history.rss?component=nosuchcomponent&x=1', 'rss', /^application\/rss\+xml/],
      [`/badge.svg?component=nosuchcomponent&x=${'y'.repeat(2000)}`, 'badge', /^image\/svg\+xml/],
      ['/api/v2/incidents/nosuchincident.json', 'json', /^application\/json/],
      ['/api/v2/nope.json?page=999999', 'json', /^application\/json/],
    );
  });
  after(() => p.close());
  // The plain bytes, whose ETag is the document's own.
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${p.url}${path}`, { headers: { 'Accept-Encoding': 'identity', ...headers } });

  it('answers each from the read model: a 404 of its type, the same bytes and ETag every time, with the snapshot cache headers', async () => {
    const bodies = p.ctx.snapshot.current().bodies;
    for (const [path, kind, type] of misses) {
      const doc = bodies.get(NOT_FOUND[kind]);
      assert.ok(doc, kind);
      const [first, second] = [await get(path), await get(path)];
      for (const res of [first, second]) {
        assert.equal(res.status, 404, path);
        assert.match(res.headers.get('content-type') ?? '', type, path);
        assert.equal(res.headers.get('etag'), doc.etag, `${path}: the read model's document`);
        for (const [name, value] of Object.entries(SNAPSHOT_CACHE_HEADERS)) assert.equal(res.headers.get(name), value, `${path} ${name}`);
      }
      assert.equal(await first.text(), await second.text(), path);
      // Revalidating a miss is no 304: that would say the document exists.
      assert.equal((await get(path, { 'If-None-Match': doc.etag })).status, 404, path);
    }
  });

  it('still serves every page of the history there is, and the documents that exist', async () => {
    const last = [...p.ctx.snapshot.current().bodies.keys()].filter((k) => k.startsWith('/history?page=')).length + 1;
    assert.ok(last >= 12, `${last} pages`);
    const page = await fetch(`${p.url}/history?page=${last}`);
    assert.equal(page.status, 200);
    assert.doesNotMatch(await page.text(), /Older →/, 'the last page links to no older one');
    assert.equal((await fetch(`${p.url}/history?page=${last + 1}`)).status, 404);
    assert.equal((await fetch(`${p.url}/webhooks`)).status, 200);
    assert.equal((await fetch(`${p.url}/history?page=abc`)).status, 200, 'a page number that is no number: the first page');
  });

  it('answers a random path with the same prebuilt page, and the API with JSON', async () => {
    const doc = p.ctx.snapshot.current().bodies.get(NOT_FOUND.page);
    for (const path of ['/wp-login.php', '/nosuch/path?x=1', '/css/nosuch.css']) {
      const res = await get(path, { Accept: 'text/html' });
      assert.equal(res.status, 404, path);
      assert.equal(res.headers.get('etag'), doc?.etag, path);
    }
    // The API and the admin answer for themselves (JSON; a sign-in, then the admin's own 404).
    for (const path of ['/api/v1/nosuch', '/admin/nosuch', '/setup/nosuch']) {
      const res = await fetch(`${p.url}${path}`, { headers: { Accept: 'text/html' }, redirect: 'manual' });
      assert.notEqual(res.headers.get('etag'), doc?.etag, path);
    }
  });
});
