import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addUser, csrfOf, signIn, startPharos, type TestPharos } from '../helpers/pharos.js';

const MINUTE = 60_000;

/** Sessions as OWASP ASVS level 2 asks: 30 minutes idle, 12 hours absolute, other sessions can be ended. */
describe('operator sessions', () => {
  let p: TestPharos;
  before(async () => {
    p = await startPharos();
    await addUser(p, 'admin@example.com', 'admin');
    await addUser(p, 'op@example.com', 'operator');
  });
  after(() => p.close());

  it('end after 30 minutes without a request, not before', async () => {
    const agent = await signIn(p, 'op@example.com');
    p.clock.advance(29 * MINUTE);
    await agent.get('/admin').expect(200);
    p.clock.advance(29 * MINUTE);
    await agent.get('/admin').expect(200);
    p.clock.advance(30 * MINUTE + 1000);
    const res = await agent.get('/admin').expect(303);
    assert.match(String(res.headers.location), /^\/admin\/login/);
  });

  it('end 12 hours after signing in, however active', async () => {
    const agent = await signIn(p, 'op@example.com');
    for (let t = 0; t < 12 * 60 - 20; t += 20) {
      p.clock.advance(20 * MINUTE);
      await agent.get('/admin').expect(200);
    }
    p.clock.advance(25 * MINUTE);
    await agent.get('/admin').expect(303);
  });

  it('"sign out my other sessions" ends every other session of that user, and only those', async () => {
    const laptop = await signIn(p, 'admin@example.com');
    const phone = await signIn(p, 'admin@example.com');
    const colleague = await signIn(p, 'op@example.com');
    const account = await laptop.get('/admin/account').expect(200);
    assert.equal((account.text.match(/<tr><td data-label="Signed in">/g) ?? []).length, 2, 'two sessions listed');
    assert.match(account.text, /this session/);
    const done = await laptop
      .post('/admin/account/sign-out-others')
      .type('form')
      .send({ _csrf: csrfOf(account.text) })
      .expect(200);
    assert.match(done.text, /1 other session\(s\) ended/);
    await phone.get('/admin').expect(303);
    await laptop.get('/admin').expect(200);
    await colleague.get('/admin').expect(200);
  });
});
