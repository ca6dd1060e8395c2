import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { startPharos, type TestPharos } from '../../helpers/pharos.js';
import { count, exists, SENT } from './gate-world.js';

/** Sign-ups are limited per client address: 10 within 10 minutes. */

describe('the per-IP sign-up limit', () => {
  let p: TestPharos;
  before(async () => {
    p = await startPharos();
  });
  after(() => p.close());

  it('answers 429 to the 11th sign-up from one address within 10 minutes, and creates nothing', async () => {
    for (let i = 1; i <= 10; i++) {
      const res = await request(p.app)
        .post('/subscribe')
        .type('form')
        .send({ email: `ip${i}@example.com`, scope: 'all' });
      assert.equal(res.status, 200, `sign-up ${i}`);
      assert.match(res.text, SENT);
    }
    const [subscribers, deliveries] = [count(p, 'subscribers'), count(p, 'deliveries')];
    assert.equal(subscribers, 10);
    const eleventh = await request(p.app).post('/subscribe').type('form').send({ email: 'ip11@example.com', scope: 'all' });
    assert.equal(eleventh.status, 429);
    assert.doesNotMatch(eleventh.text, SENT);
    assert.equal(exists(p, 'ip11@example.com'), false);
    assert.equal(count(p, 'subscribers'), subscribers);
    assert.equal(count(p, 'deliveries'), deliveries);

    // The window slides: after 10 minutes the same address may sign up again.
    p.clock.advance(10 * 60_000 + 1_000);
    const later = await request(p.app).post('/subscribe').type('form').send({ email: 'ip11@example.com', scope: 'all' });
    assert.equal(later.status, 200);
    assert.ok(exists(p, 'ip11@example.com'));
  });
});
