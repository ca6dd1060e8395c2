import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { scheduleMaintenance } from '../../server/domain/incidents/maintenance.js';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { createComponent } from '../../server/domain/page/components.js';
import { publishCommunication } from '../../server/domain/subscribers/communications.js';
import { startPharos, type TestPharos } from '../helpers/pharos.js';

const system = { type: 'system' } as const;

/** A request that keeps the bytes as sent (fetch and supertest decode compressed bodies). */
function raw(url: string, headers: Record<string, string>, method = 'GET'): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const HEADERS = [
  'content-type',
  'content-encoding',
  'vary',
  'etag',
  'cache-control',
  'cdn-cache-control',
  'surrogate-control',
  'content-security-policy',
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
  'access-control-allow-origin',
  'strict-transport-security',
  'cross-origin-opener-policy',
];

/** The listening server answers the hottest reads before Express: the very same bytes and headers. */
describe('the snapshot fast path', () => {
  let p: TestPharos;
  // The same app without the fast path in front: Express alone, on its own port.
  let express: Server;
  let expressUrl: string;
  const docs: string[] = [];
  before(async () => {
    p = await startPharos({ listen: true });
    const api = createComponent(p.ctx, system, { name: 'API' });
    const incident = createIncident(p.ctx, system, { name: 'Elevated errors', body: 'Looking.', components: { [api.id]: 'partial_outage' } });
    const window = scheduleMaintenance(p.ctx, system, {
      name: 'Database upgrade',
      scheduled_for: '2026-12-02T02:00:00Z',
      scheduled_until: '2026-12-02T03:00:00Z',
      component_ids: [api.id],
    });
    const notice = publishCommunication(p.ctx, system, { category: 'general', title: 'Planned work', body: 'On Wednesday.' });
    docs.push(
      `/incidents/${incident.id}`,
      `/incidents/${window.id}`,
      `/incidents/${window.id}.ics`,
      '/maintenance.ics',
      '/history',
      '/notices',
      `/notices/${notice.id}`,
      '/subscribe',
    );
    express = createServer(p.app);
    await new Promise<void>((resolve) => express.listen(0, '127.0.0.1', resolve));
    expressUrl = `http://127.0.0.1:${(express.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => express.close(resolve));
    await p.close();
  });

  for (const path of ['/', '/api/v2/summary.json', '/api/v2/status.json', '/api/v2/components.json', '/api/v2/scheduled-maintenances/upcoming.json']) {
    for (const encoding of ['identity', 'gzip', 'br']) {
      it(`GET ${path} (${encoding}): the same status, bytes and headers as through Express`, async () => {
        const fast = await raw(`${p.url}${path}`, { 'Accept-Encoding': encoding });
        const slow = await raw(`${expressUrl}${path}`, { 'Accept-Encoding': encoding });
        assert.equal(fast.status, slow.status);
        assert.ok(fast.body.equals(slow.body), 'the same bytes');
        for (const h of HEADERS) assert.equal(fast.headers[h], slow.headers[h], `${path} ${h}`);
      });
    }
  }

  it('answers If-None-Match with 304 and no body, HEAD with headers only, and a query string like the path', async () => {
    const first = await fetch(`${p.url}/api/v2/summary.json`);
    const etag = first.headers.get('etag') ?? '';
    const again = await fetch(`${p.url}/api/v2/summary.json`, { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), '');
    assert.equal(again.headers.get('access-control-allow-origin'), '*');
    const head = await raw(`${p.url}/`, { 'Accept-Encoding': 'gzip' }, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    const full = await raw(`${p.url}/`, { 'Accept-Encoding': 'gzip' });
    assert.equal(head.headers['content-length'], String(full.body.length));
    assert.equal(head.headers['content-encoding'], 'gzip');
    const withQuery = await fetch(`${p.url}/api/v2/status.json?callback=x`);
    assert.equal(withQuery.status, 200);
    assert.match(await withQuery.text(), /"indicator"/);
  });

  it('compresses as the client accepts (brotli first, q=0 honoured), each form with its own ETag, all answering If-None-Match', async () => {
    const plain = await raw(`${p.url}/`, {});
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.match(plain.body.toString(), /<html/);
    const br = await raw(`${p.url}/`, { 'Accept-Encoding': 'gzip, deflate, br' });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.ok(brotliDecompressSync(br.body).equals(plain.body), 'brotli decodes to the same page');
    assert.ok(br.body.length < plain.body.length / 3, `${br.body.length} of ${plain.body.length} bytes`);
    const gz = await raw(`${p.url}/`, { 'Accept-Encoding': 'br;q=0, gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.ok(gunzipSync(gz.body).equals(plain.body), 'gzip decodes to the same page');
    const none = await raw(`${p.url}/`, { 'Accept-Encoding': 'identity, *;q=0' });
    assert.equal(none.headers['content-encoding'], undefined);
    const tags = new Set([plain.headers.etag, br.headers.etag, gz.headers.etag]);
    assert.equal(tags.size, 3, 'one strong ETag per form');
    for (const r of [plain, br, gz]) {
      assert.equal(r.headers.vary, 'Accept-Encoding');
      // Browsers always revalidate; a CDN may serve for a few seconds, while refetching, and when Pharos fails.
      assert.equal(r.headers['cache-control'], 'public, no-cache, stale-if-error=86400');
      assert.match(String(r.headers['cdn-cache-control']), /max-age=5, stale-while-revalidate=30, stale-if-error=86400/);
      assert.match(String(r.headers['surrogate-control']), /stale-while-revalidate=30/);
    }
    // Each encoding is its own representation: a 304 only for the ETag of the form that would be sent.
    const same = await raw(`${p.url}/`, { 'Accept-Encoding': 'br', 'If-None-Match': String(br.headers.etag) });
    assert.equal(same.status, 304);
    assert.equal(same.body.length, 0);
    assert.equal(same.headers.etag, br.headers.etag);
    const other = await raw(`${p.url}/`, { 'Accept-Encoding': 'br', 'If-None-Match': String(gz.headers.etag) });
    assert.equal(other.status, 200, 'a cached gzip form does not validate the brotli one');
    assert.equal(other.headers['content-encoding'], 'br');
    const weak = await raw(`${p.url}/`, { 'If-None-Match': `W/${String(plain.headers.etag)}` });
    assert.equal(weak.status, 304, 'a weak comparison of the same tag');
  });

  it('chooses the encoding by q-value, never one refused', async () => {
    for (const [accept, expected] of [
      ['gzip, deflate, br', 'br'],
      ['br;q=0.1, gzip', 'gzip'],
      ['br;q=0, gzip;q=0, *', undefined],
      ['br;q=0, *', 'gzip'],
      ['x-gzip', 'gzip'],
      ['*;q=0, identity', undefined],
      ['deflate', undefined],
      ['BR', 'br'],
    ] as const) {
      const res = await raw(`${p.url}/api/v2/summary.json`, { 'Accept-Encoding': accept });
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-encoding'], expected, accept);
    }
  });

  it('serves every other public document the same way: incident and window pages, calendars, history, notices, the subscribe form', async () => {
    assert.equal(docs.length, 8);
    for (const path of docs) {
      for (const encoding of ['identity', 'br']) {
        const fast = await raw(`${p.url}${path}`, { 'Accept-Encoding': encoding });
        const slow = await raw(`${expressUrl}${path}`, { 'Accept-Encoding': encoding });
        assert.equal(fast.status, 200, path);
        assert.equal(slow.status, 200, path);
        assert.ok(fast.body.equals(slow.body), `${path}: the same bytes`);
        for (const h of [...HEADERS, 'content-disposition']) assert.equal(fast.headers[h], slow.headers[h], `${path} ${h}`);
      }
    }
    const ics = await raw(`${p.url}${docs[2] ?? ''}`, {});
    assert.match(String(ics.headers['content-type']), /^text\/calendar/);
    assert.match(String(ics.headers['content-disposition']), /attachment; filename="maintenance-/);
  });

  it('answers a document path it holds nothing at with the same 404 as Express: a page past the last, an unknown incident, an unknown v2 path', async () => {
    for (const path of ['/history?page=5', '/incidents/nosuchincident', '/notices/nosuchnotice', '/api/v2/nope.json']) {
      const fast = await raw(`${p.url}${path}`, { 'Accept-Encoding': 'br' });
      const slow = await raw(`${expressUrl}${path}`, { 'Accept-Encoding': 'br' });
      assert.equal(fast.status, 404, path);
      assert.equal(slow.status, 404, path);
      assert.ok(fast.body.equals(slow.body), `${path}: the same bytes`);
      for (const h of HEADERS) assert.equal(fast.headers[h], slow.headers[h], `${path} ${h}`);
      // Never a 304: that would say the document exists.
      assert.equal((await raw(`${p.url}${path}`, { 'If-None-Match': String(fast.headers.etag) })).status, 404, path);
    }
    assert.match((await raw(`${p.url}/api/v2/nope.json`, {})).body.toString(), /"code":"not_found"/);
  });

  it('leaves everything else to Express: other methods', async () => {
    const post = await fetch(`${p.url}/api/v2/summary.json`, { method: 'POST' });
    assert.equal(post.status, 404);
  });

  it('serves a change at once', async () => {
    createComponent(p.ctx, system, { name: 'Added just now' });
    assert.match(await (await fetch(`${p.url}/api/v2/components.json`)).text(), /Added just now/);
  });
});
