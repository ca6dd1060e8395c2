import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createComponent } from '../server/domain/components.js';
import { startPharos, type TestPharos } from './helpers/pharos.js';

const system = { type: 'system' } as const;
const HEADERS = ['content-type', 'etag', 'cache-control', 'content-security-policy', 'x-content-type-options', 'x-frame-options', 'referrer-policy', 'access-control-allow-origin', 'strict-transport-security', 'cross-origin-opener-policy'];

/** The listening server answers the hottest reads before Express: the very same bytes and headers. */
describe('the snapshot fast path', () => {
  let p: TestPharos;
  before(async () => {
    p = await startPharos({ listen: true });
    createComponent(p.ctx, system, { name: 'API' });
  });
  after(() => p.close());

  for (const path of ['/', '/api/v2/summary.json', '/api/v2/status.json', '/api/v2/components.json', '/api/v2/scheduled-maintenances/upcoming.json']) {
    it(`GET ${path}: the same status, body and headers as through Express`, async () => {
      const fast = await fetch(`${p.url}${path}`);
      const slow = await request(p.app).get(path);
      assert.equal(fast.status, slow.status);
      assert.equal(await fast.text(), slow.text);
      for (const h of HEADERS) assert.equal(fast.headers.get(h) ?? undefined, slow.headers[h], `${path} ${h}`);
    });
  }

  it('answers If-None-Match with 304 and no body, HEAD with headers only, and a query string like the path', async () => {
    const first = await fetch(`${p.url}/api/v2/summary.json`);
    const etag = first.headers.get('etag') ?? '';
    const again = await fetch(`${p.url}/api/v2/summary.json`, { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), '');
    assert.equal(again.headers.get('access-control-allow-origin'), '*');
    const head = await fetch(`${p.url}/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    const full = Buffer.from(await (await fetch(`${p.url}/`)).arrayBuffer());
    assert.equal(Number(head.headers.get('content-length')), full.length);
    const withQuery = await fetch(`${p.url}/api/v2/status.json?callback=x`);
    assert.equal(withQuery.status, 200);
    assert.match(await withQuery.text(), /"indicator"/);
  });

  it('leaves everything else to Express: unknown v2 paths, other methods', async () => {
    const unknown = await fetch(`${p.url}/api/v2/nope.json`);
    assert.equal(unknown.status, 404);
    assert.match(await unknown.text(), /"code":"not_found"/);
    const post = await fetch(`${p.url}/api/v2/summary.json`, { method: 'POST' });
    assert.equal(post.status, 404);
  });

  it('serves a change at once', async () => {
    createComponent(p.ctx, system, { name: 'Added just now' });
    assert.match(await (await fetch(`${p.url}/api/v2/components.json`)).text(), /Added just now/);
  });
});
