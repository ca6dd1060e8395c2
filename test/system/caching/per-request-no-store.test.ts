import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { importCsv } from '../../../server/domain/subscribers/import-export.js';
import { manageToken } from '../../../server/domain/subscribers/tokens.js';
import { addApiKey, startPharos, type TestPharos } from '../../helpers/pharos.js';

/**
 * A CDN in front keeps what it is allowed to (docs/deploy.md): the public documents for seconds, never
 * what Express makes for one request, such as a subscriber's manage page naming their address.
 */
describe('what is made for one request is never cached', () => {
  let p: TestPharos;
  let key: string;
  before(async () => {
    p = await startPharos();
    key = addApiKey(p);
  });
  after(() => p.close());

  it('a manage page, API answers, form results and link errors say no-store', async () => {
    importCsv(p.ctx, { type: 'system' }, 'email\nreader@example.org', true);
    const sub = p.ctx.db.prepare("SELECT id, token_version FROM subscribers WHERE email = 'reader@example.org'").get() as { id: string; token_version: number };
    const manage = await request(p.app).get(`/subscriptions/manage/${manageToken(p.ctx.secret, sub)}`);
    assert.equal(manage.status, 200);
    assert.match(manage.text, /reader@example\.org/);
    const answers = [
      manage,
      await request(p.app).get(`/api/v1/pages/${p.ctx.pageId}/incidents`).set('Authorization', `OAuth ${key}`),
      await request(p.app).get('/api/v1/pages'),
      await request(p.app).post('/subscribe').type('form').send({ email: 'someone@example.org', scope: 'all' }),
      await request(p.app).get('/unsubscribe/nothing.valid'),
    ];
    for (const res of answers) assert.equal(res.headers['cache-control'], 'no-store', String(res.headers['cache-control']));
  });

  it('the public documents and the static files keep theirs', async () => {
    for (const path of ['/', '/subscribe', '/api/v2/status.json', '/incidents/nosuchincident']) {
      const res = await request(p.app).get(path);
      assert.match(String(res.headers['cache-control']), /^public, no-cache/, `${path}: ${String(res.headers['cache-control'])}`);
    }
    assert.match(String((await request(p.app).get('/css/pharos.css')).headers['cache-control']), /max-age=3600/);
  });
});
