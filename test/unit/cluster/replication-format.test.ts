import assert from 'node:assert/strict';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { decodeDoc, decodeLive, encodeDoc, encodeLive, FormatError } from '../../../server/cluster/replication/format.js';
import { makeBody, tagOf } from '../../../server/snapshot/body.js';
import { REGIONS, type LiveState } from '../../../server/snapshot/snapshot.js';

const PAGE = 'page-one';
const html = '<!doctype html><title>Status</title>' + '<p>All systems operational.</p>'.repeat(50);

const live: LiveState = {
  version: 7,
  title: 'Status',
  status: { indicator: 'none', description: 'All Systems Operational' },
  html: Object.fromEntries(REGIONS.map((r) => [r, `<section>${r}</section>`])) as LiveState['html'],
  hashes: Object.fromEntries(REGIONS.map((r) => [r, `h-${r}`])) as LiveState['hashes'],
  rows: { c1: '<li id="component-c1"></li>' },
  layoutKey: '["c1"]',
};

describe('the replication format (what a primary writes to Redis and an edge reads back)', () => {
  it('carries a document in every encoding, with the same ETags as the primary sends', async () => {
    const body = makeBody(html, 'text/html; charset=utf-8', { 'Content-Disposition': 'inline' });
    const back = decodeDoc(PAGE, await encodeDoc(PAGE, body));
    assert.deepEqual(back.bytes, body.bytes);
    assert.equal(back.etag, body.etag);
    assert.equal(back.type, body.type);
    assert.deepEqual(back.headers, body.headers);
    for (const encoding of ['identity', 'br', 'gzip'] as const) {
      const want = body.encoded(encoding);
      const got = back.encoded(encoding);
      assert.equal(got.etag, want.etag, encoding);
      assert.equal(got.encoding, want.encoding, encoding);
    }
    assert.deepEqual(brotliDecompressSync(back.encoded('br').bytes), body.bytes);
    assert.deepEqual(gunzipSync(back.encoded('gzip').bytes), body.bytes);
  });

  it('sends a body compression cannot shrink as identity, as the primary does', async () => {
    const tiny = makeBody('{}', 'application/json');
    const back = decodeDoc(PAGE, await encodeDoc(PAGE, tiny));
    assert.equal(back.encoded('br').encoding, 'identity');
    assert.equal(back.encoded('br').etag, tiny.encoded('br').etag);
  });

  it('refuses what is malformed, foreign, or does not match its ETag', async () => {
    const good = JSON.parse(await encodeDoc(PAGE, makeBody(html, 'text/html'))) as Record<string, unknown>;
    const other = Buffer.from('<p>Something else</p>');
    const cases: [string, string, RegExp][] = [
      ['not JSON', '{"page":', /not JSON/],
      ['another page', JSON.stringify({ ...good, page: 'page-two' }), /belongs to page page-two/],
      ['other bytes under the tag', JSON.stringify({ ...good, identity: other.toString('base64') }), /do not match its ETag/],
      ['a tag that is not one', JSON.stringify({ ...good, tag: 'x' }), /tag/],
      ['bytes that are not base64', JSON.stringify({ ...good, identity: '<script>' }), /identity: not base64/],
      ['a header name with a newline', JSON.stringify({ ...good, headers: { 'Set-Cookie\n': 'x' } }), /headers/],
      ['an unknown field', JSON.stringify({ ...good, extra: 1 }), /Unrecognized key/],
      ['an array', '[]', /Expected object/],
    ];
    for (const [what, raw, reason] of cases) {
      assert.throws(
        () => decodeDoc(PAGE, raw),
        (err: unknown) => err instanceof FormatError && reason.test(err.message),
        what,
      );
    }
    // The right bytes with their own tag, but for another page, are still refused.
    const foreign = JSON.stringify({ ...good, page: 'page-two', tag: tagOf(other), identity: other.toString('base64') });
    assert.throws(() => decodeDoc(PAGE, foreign), FormatError);
  });

  it('carries the live state, and refuses one that is incomplete or foreign', () => {
    assert.deepEqual(decodeLive(PAGE, encodeLive(PAGE, live)), live);
    assert.throws(() => decodeLive('page-two', encodeLive(PAGE, live)), /belongs to page/);
    const partial: Partial<LiveState['html']> = { ...live.html };
    delete partial.banner;
    assert.throws(() => decodeLive(PAGE, JSON.stringify({ page: PAGE, state: { ...live, html: partial } })), /banner/);
    assert.throws(() => decodeLive(PAGE, JSON.stringify({ page: PAGE, state: { ...live, version: -1 } })), /version/);
    assert.throws(() => decodeLive(PAGE, JSON.stringify({ page: PAGE, state: { ...live, status: { indicator: 'fine', description: '' } } })), /indicator/);
  });
});
