import assert from 'node:assert/strict';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { decodeDoc, decodeLive, encodeDoc, encodeLive, FormatError } from '../../../server/cluster/replication/format.js';
import { sha256, Signer } from '../../../server/cluster/replication/signing.js';
import { makeBody, tagOf } from '../../../server/snapshot/body.js';
import { REGIONS, type LiveState } from '../../../server/snapshot/snapshot.js';

const PAGE = 'page-one';
const SECRET = 'a replication secret of at least 32 characters';
const signer = new Signer(SECRET, PAGE);
const KEY = '/history';
const encode = async (body: ReturnType<typeof makeBody>, key = KEY) => (await encodeDoc(signer, PAGE, key, body)).raw;
const decode = async (raw: string, key = KEY, by = signer) => (await decodeDoc(by, PAGE, key, raw)).body;
/** Rejects with a FormatError whose message matches `reason`. */
const refused = (raw: string, reason: RegExp, what: string, key = KEY, by = signer) =>
  assert.rejects(decode(raw, key, by), (err: unknown) => err instanceof FormatError && reason.test(err.message), what);
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
    const key = '/incidents/abc123.ics';
    const body = makeBody(html, 'text/calendar; charset=utf-8', { 'Content-Disposition': 'attachment; filename="maintenance-abc123.ics"' });
    const back = await decode(await encode(body, key), key);
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
    const tiny = makeBody('{}', 'application/json; charset=utf-8');
    const back = await decode(await encode(tiny));
    assert.equal(back.encoded('br').encoding, 'identity');
    assert.equal(back.encoded('br').etag, tiny.encoded('br').etag);
  });

  it('refuses what is malformed, foreign, or does not match its ETag', async () => {
    const good = JSON.parse(await encode(makeBody(html, 'text/html; charset=utf-8'))) as Record<string, unknown>;
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
      ['no signature', JSON.stringify({ ...good, sig: undefined }), /sig/],
    ];
    for (const [what, raw, reason] of cases) await refused(raw, reason, what);
    // The right bytes with their own tag, but for another page, are still refused.
    await refused(JSON.stringify({ ...good, page: 'page-two', tag: tagOf(other), identity: other.toString('base64') }), /belongs to page/, 'foreign');
  });

  it('takes only what a primary of the page signed, at the key it signed it for', async () => {
    const raw = await encode(makeBody(html, 'text/html; charset=utf-8'));
    const good = JSON.parse(raw) as Record<string, string>;
    const forged = Buffer.from('<h1>All good, nothing to see</h1>');
    await refused(JSON.stringify({ ...good, tag: tagOf(forged), identity: forged.toString('base64') }), /not signed by a primary/, 'other bytes');
    await refused(raw, /not signed by a primary/, 'another secret', KEY, new Signer('another secret of at least 32 characters', PAGE));
    await refused(raw, /not signed by a primary/, 'another page id', KEY, new Signer(SECRET, 'page-two'));
    await refused(raw, /not signed by a primary/, 'another key', '/notices');
    await refused(JSON.stringify({ ...good, type: 'text/css; charset=utf-8' }), /not signed by a primary/, 'another type');
    await refused(JSON.stringify({ ...good, headers: { 'Access-Control-Allow-Origin': '*' } }), /not signed by a primary/, 'another header');
    await refused(JSON.stringify({ ...good, br: undefined }), /not signed by a primary/, 'a form taken away');
  });

  it('refuses a compressed form that is not the bytes compressed, and a bomb, before serving either', async () => {
    // Signed as the primary would, so that only the decompression check stands in the way.
    const bytes = Buffer.from(html);
    const sign = (br: Buffer, gzip: Buffer) =>
      JSON.stringify({
        page: PAGE,
        sig: signer.doc(KEY, tagOf(bytes), 'text/html; charset=utf-8', {}, { br: sha256(br), gzip: sha256(gzip) }),
        tag: tagOf(bytes),
        type: 'text/html; charset=utf-8',
        headers: {},
        identity: bytes.toString('base64'),
        br: br.toString('base64'),
        gzip: gzip.toString('base64'),
      });
    const other = Buffer.from(html.replace('operational', 'on fire'));
    await refused(sign(brotliCompressSync(other), gzipSync(bytes)), /br form is not its bytes/, 'br of other bytes');
    await refused(sign(brotliCompressSync(bytes), gzipSync(other)), /gzip form is not its bytes/, 'gzip of other bytes');
    await refused(sign(brotliCompressSync(bytes), Buffer.from('not gzip at all')), /gzip form/, 'not gzip');
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    await refused(sign(brotliCompressSync(bytes), bomb), /gzip form/, 'a bomb');
    assert.deepEqual((await decode(sign(brotliCompressSync(bytes), gzipSync(bytes)))).bytes, bytes);
  });

  it('refuses keys that are not public documents, and headers and types the primary does not send', async () => {
    const sign = async (key: string, type: string, headers: Record<string, string>) => encode(makeBody(html, type, headers), key);
    const cases: [string, string, Record<string, string>, RegExp][] = [
      ['/admin/login', 'text/html; charset=utf-8', {}, /not a public document/],
      ['/socket.io/socket.io.js', 'text/javascript; charset=utf-8', {}, /not a public document/],
      ['/', 'text/html; charset=utf-8', { 'Set-Cookie': 'pharos_session=x' }, /Set-Cookie/],
      ['/', 'text/html; charset=utf-8', { 'Content-Security-Policy': "default-src 'none'" }, /only on the embed frame/],
      ['/embed/frame', 'text/html; charset=utf-8', { 'Content-Security-Policy': 'default-src *; frame-ancestors *' }, /not the embed frame policy/],
      [
        '/embed/frame',
        'text/html; charset=utf-8',
        {
          'Content-Security-Policy':
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors *; script-src *",
        },
        /not a site|policy/,
      ],
      ['/', 'text/html; charset=utf-8', { 'Access-Control-Allow-Origin': 'https://evil.example' }, /must be \*/],
      ['/incidents/abc123.ics', 'text/calendar; charset=utf-8', { 'Content-Disposition': 'inline' }, /calendar file name/],
      ['/', 'text/calendar; charset=utf-8', { 'Content-Disposition': 'attachment; filename="maintenance-x.ics"' }, /only on a maintenance window calendar/],
      ['/', 'application/xhtml+xml', {}, /content type/],
      ['/', 'image/png', {}, /content type/],
    ];
    for (const [key, type, headers, reason] of cases) await refused(await sign(key, type, headers), reason, `${key} ${type} ${JSON.stringify(headers)}`, key);
    // What the primary does send passes.
    const csp =
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors https://www.example.com https://*.example.org:8443";
    await decode(
      await sign('/embed/frame', 'text/html; charset=utf-8', { 'Content-Security-Policy': csp, 'Cross-Origin-Resource-Policy': 'cross-origin' }),
      '/embed/frame',
    );
    await decode(await sign('/brand/logo', 'image/png', {}), '/brand/logo');
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
