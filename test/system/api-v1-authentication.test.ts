import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { listApiKeys, revokeApiKey } from '../../server/domain/access/api-keys.js';
import { addApiKey, type TestPharos } from '../helpers/pharos.js';
import { apiV1World } from './api-v1-world.js';

/** The management API, in Statuspage's v1 shapes, through HTTP as automation uses it: who may call it. */

describe('management API v1 (Statuspage compatible)', () => {
  const w = apiV1World();
  const { track, call, rejected } = w;
  let p: TestPharos;
  let key = '';

  before(async () => {
    ({ p, key } = await w.start());
  });
  after(() => w.close());

  describe('authentication', () => {
    it('refuses a request without Authorization with a 401 JSON error', async () => {
      await rejected(() => call('get', '/incidents', undefined, null), 401, 'GET without a key');
      await rejected(() => call('get', '/components', undefined, null), 401, 'GET components without a key');
      await rejected(() => call('post', '/incidents', { incident: { name: 'No key' } }, null), 401, 'POST without a key');
      await rejected(() => call('get', '/incidents', undefined, 'Basic Zm9vOmJhcg=='), 401, 'Basic auth');
      await rejected(() => call('get', '/incidents', undefined, 'OAuth'), 401, 'OAuth without a key');
    });

    it('refuses a wrong key with 401', async () => {
      await rejected(() => call('get', '/incidents', undefined, 'OAuth pharos_not-a-real-key'), 401, 'wrong OAuth key');
      await rejected(() => call('get', '/incidents', undefined, `Bearer ${key}x`), 401, 'wrong Bearer key');
      await rejected(() => call('post', '/incidents', { incident: { name: 'Wrong key' } }, 'OAuth nope'), 401, 'POST with a wrong key');
    });

    it('accepts the key as "OAuth <key>" and as "Bearer <key>"', async () => {
      for (const auth of [`OAuth ${key}`, `Bearer ${key}`]) {
        const res = await call('get', '/incidents', undefined, auth);
        assert.equal(res.status, 200, auth.split(' ')[0]);
        assert.deepEqual(res.body, []);
        assert.equal((await call('get', '/components', undefined, auth)).status, 200);
      }
    });

    it('refuses a revoked key with 401', async () => {
      const revocable = addApiKey(p, 'to revoke');
      assert.equal((await call('get', '/incidents', undefined, `OAuth ${revocable}`)).status, 200, 'works before revocation');
      const id = listApiKeys(p.ctx.db).find((k) => k.name === 'to revoke')?.id;
      assert.ok(id);
      revokeApiKey(p.ctx, { type: 'system' }, id);
      await rejected(() => call('get', '/incidents', undefined, `OAuth ${revocable}`), 401, 'revoked key (OAuth)');
      await rejected(() => call('get', '/incidents', undefined, `Bearer ${revocable}`), 401, 'revoked key (Bearer)');
      await rejected(() => call('post', '/incidents', { incident: { name: 'Revoked' } }, `OAuth ${revocable}`), 401, 'POST with a revoked key');
      assert.equal((await call('get', '/incidents')).status, 200, 'the other key still works');
    });

    it('answers 404 for another page id', async () => {
      for (const [method, path] of [
        ['get', '/incidents'],
        ['get', '/components'],
      ] as const) {
        await rejected(
          async () =>
            track(
              'other page',
              await request(p.app)
                [method](`/api/v1/pages/notmypage/${path.slice(1)}`)
                .set('Authorization', `OAuth ${key}`),
            ),
          404,
          `${method} another page`,
        );
      }
      await rejected(
        async () =>
          track(
            'other page POST',
            await request(p.app)
              .post('/api/v1/pages/notmypage/incidents')
              .set('Authorization', `OAuth ${key}`)
              .send({ incident: { name: 'Elsewhere' } }),
          ),
        404,
        'POST to another page',
      );
    });
  });
});
