import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { addApiKey, startPharos, type TestPharos } from '../helpers/pharos.js';

/** Each API key's budget per rolling minute: Statuspage's one a second for the API, a larger one for alerts. */
describe('rate limits per API key', () => {
  let p: TestPharos;
  let key: string;
  let other: string;
  before(async () => {
    p = await startPharos({ env: { API_RATE_LIMIT: '5', ALERT_RATE_LIMIT: '8' } });
    key = addApiKey(p, 'busy');
    other = addApiKey(p, 'quiet');
  });
  after(() => p.close());

  const list = (k: string) => request(p.app).get(`/api/v1/pages/${p.ctx.pageId}/components`).set('Authorization', `OAuth ${k}`);

  it('answers 429 with Retry-After past the budget, for that key only, and again after a minute', async () => {
    for (let i = 0; i < 5; i++) await list(key).expect(200);
    const refused = await list(key).expect(429);
    assert.equal(refused.headers['retry-after'], '60');
    assert.equal((refused.body as { error: { code: string } }).error.code, 'rate_limited');
    await list(other).expect(200);
    p.clock.advance(61_000);
    await list(key).expect(200);
  });

  it('gives the alert receivers their own budget, answering 503 (which Alertmanager retries) past it', async () => {
    const alert = { version: '4', groupKey: 'g', status: 'resolved', alerts: [{ status: 'resolved', labels: { alertname: 'A' } }] };
    const send = () => request(p.app).post('/api/integrations/alertmanager').set('Authorization', `Bearer ${key}`).send(alert);
    for (let i = 0; i < 8; i++) await send().expect(200);
    const refused = await send().expect(503);
    // Retry-After: when the oldest of the minute's tokens frees up.
    assert.equal(refused.headers['retry-after'], '60');
    p.clock.advance(45_000);
    assert.equal((await send().expect(503)).headers['retry-after'], '15');
    p.clock.advance(15_000);
    await send().expect(200);
  });
});
