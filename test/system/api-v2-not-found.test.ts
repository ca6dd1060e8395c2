import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { exactKeys, obj, str } from '../helpers/statuspage.js';
import { apiV2World } from './api-v2-world.js';

/** The public read API, against Statuspage's v2: an endpoint it does not have answers a 404 JSON error. */

describe('public API v2 (Statuspage compatible)', () => {
  const w = apiV2World();
  const { get } = w;

  before(async () => {
    await w.start();
  });
  after(() => w.close());

  it('answers an unknown endpoint with a 404 JSON error', async () => {
    for (const path of ['/api/v2/nope.json', '/api/v2/incidents/nope.json', '/api/v2/summary']) {
      const res = await get(path);
      assert.equal(res.status, 404, `${path} is 404`);
      assert.match(String(res.headers['content-type']), /^application\/json/, `${path} answers JSON`);
      const body = obj(JSON.parse(res.text) as unknown, 'body');
      exactKeys(body, ['error'], `${path} body`);
      const error = obj(body.error, 'error');
      exactKeys(error, ['code', 'message', 'fields'], `${path} error`);
      assert.ok(str(error.code, 'code').length > 0);
      assert.ok(str(error.message, 'message').length > 0);
      obj(error.fields, 'fields');
    }
    const res = await get('/api/v2/nope.json');
    assert.equal(res.headers['access-control-allow-origin'], '*', 'CORS on a 404 too');
  });
});
