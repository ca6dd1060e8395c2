import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { addUser, csrfOf, PASSWORD, signIn, startPharos, type Agent, type TestPharos } from '../helpers/pharos.js';

const FORM = '/admin/incidents/new';
const TYPED = { name: 'Checkout is failing for card payments', status: 'identified', body: 'A long message, typed over 40 minutes.' };

/** 30 minutes idle, then "Create incident": the typed form comes back after signing in again. */
describe('a session that ends while an operator types', () => {
  let p: TestPharos;
  let ops: Agent;
  before(async () => {
    p = await startPharos();
    await addUser(p, 'ops@example.com', 'operator');
    await addUser(p, 'other@example.com', 'operator');
  });
  after(() => p.close());

  const incidents = () => p.ctx.db.prepare('SELECT COUNT(*) FROM incidents').pluck().get() as number;
  const formTokens = async (agent: Agent) => {
    const html = (await agent.get(FORM).expect(200)).text;
    // Every hidden field a browser sends with the form.
    return { _csrf: csrfOf(html), _once: /name="_once" value="([^"]+)"/.exec(html)?.[1] ?? '', _page: /name="_page" value="([^"]+)"/.exec(html)?.[1] ?? '' };
  };
  /** Signs in on the login page the refused form led to (it carries the saved form's id). */
  const signInAgain = async (agent: Agent, loginPath: string, email = 'ops@example.com') => {
    const page = (await agent.get(loginPath).expect(200)).text;
    const saved = /name="saved" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const next = /name="next" value="([^"]*)"/.exec(page)?.[1] ?? '';
    return agent
      .post('/admin/login')
      .type('form')
      .send({ _csrf: csrfOf(page), email, password: PASSWORD, saved, next })
      .expect(303);
  };

  it('the form sent after the timeout is kept, not done; signing in again leads back to it with everything typed, once', async () => {
    ops = await signIn(p, 'ops@example.com');
    const tokens = await formTokens(ops);
    const before = incidents();
    p.clock.advance(31 * 60_000);
    const sent = await ops
      .post('/admin/incidents')
      .set('Referer', `http://localhost:3000${FORM}`)
      .type('form')
      .send({ ...tokens, ...TYPED })
      .expect(303);
    const login = String(sent.headers.location);
    assert.match(login, /^\/admin\/login\?saved=[\w-]+&next=%2Fadmin%2Fincidents%2Fnew$/);
    assert.equal(incidents(), before, 'nothing was created');
    const page = (await ops.get(login).expect(200)).text;
    assert.match(page, /Your session ended after 30 minutes without activity. What you typed is kept/);

    const back = await signInAgain(ops, login);
    const restore = String(back.headers.location);
    assert.match(restore, /^\/admin\/incidents\/new\?restore=[\w-]+$/);
    const form = (await ops.get(restore).expect(200)).text;
    assert.match(form, /value="Checkout is failing for card payments"/);
    assert.match(form, /A long message, typed over 40 minutes\.<\/textarea>/);
    assert.match(form, /<option value="identified" selected>/);
    assert.match(form, /here is the form as you typed it/);
    assert.match(form, new RegExp(`name="_once" value="${tokens._once}"`), 'its one-time token too: sent now, it creates the incident once');
    const again = (await ops.get(restore).expect(200)).text;
    assert.doesNotMatch(again, /Checkout is failing/, 'taken back once');
  });

  it('someone else signing in on that login page does not get the form; a forged form is not kept', async () => {
    const mine = await signIn(p, 'ops@example.com');
    const tokens = await formTokens(mine);
    p.clock.advance(31 * 60_000);
    const sent = await mine
      .post('/admin/incidents')
      .set('Referer', `http://localhost:3000${FORM}`)
      .type('form')
      .send({ ...tokens, ...TYPED })
      .expect(303);
    const other = request.agent(p.app);
    const back = await signInAgain(other, String(sent.headers.location), 'other@example.com');
    assert.equal(back.headers.location, FORM, 'where the page said to go, without the saved form');

    const forged = await signIn(p, 'ops@example.com');
    p.clock.advance(31 * 60_000);
    const saved = p.ctx.db.prepare('SELECT COUNT(*) FROM saved_forms').pluck().get() as number;
    const res = await forged
      .post('/admin/incidents')
      .set('Referer', `http://localhost:3000${FORM}`)
      .type('form')
      .send({ _csrf: 'not-the-token', ...TYPED });
    assert.equal(res.status, 401);
    assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM saved_forms').pluck().get(), saved, 'nothing kept');
  });

  it('while the operator types, the page keeps the session alive past 30 minutes', async () => {
    const agent = await signIn(p, 'ops@example.com');
    const tokens = await formTokens(agent);
    const before = incidents();
    for (let i = 0; i < 3; i++) {
      p.clock.advance(20 * 60_000);
      // What public/js/admin-keepalive.js sends every few minutes while typing.
      await agent.get('/admin/keepalive').expect(204);
    }
    p.clock.advance(20 * 60_000);
    const res = await agent
      .post('/admin/incidents')
      .type('form')
      .send({ ...tokens, ...TYPED, name: 'Sent after 80 minutes' })
      .expect(303);
    assert.match(String(res.headers.location), /^\/admin\/incidents\/[a-z0-9]+$/);
    assert.equal(incidents(), before + 1);
  });

  it('a form refused once (422) and then sent after the timeout comes back too, on its own page, and never with a password', async () => {
    const agent = await signIn(p, 'ops@example.com');
    const tokens = await formTokens(agent);
    const refused = await agent
      .post('/admin/incidents')
      .type('form')
      .send({ ...tokens, ...TYPED, name: ' ' })
      .expect(422);
    const page = /name="_page" value="([^"]+)"/.exec(refused.text)?.[1];
    assert.equal(page, FORM, 'the form shown again still says which page it is on');
    p.clock.advance(31 * 60_000);
    // The browser's address is now the POST's, /admin/incidents: the form's own field says where to come back.
    const sent = await agent
      .post('/admin/incidents')
      .set('Referer', 'http://localhost:3000/admin/incidents')
      .type('form')
      .send({ ...tokens, _page: page, ...TYPED, confirm_password: 'my own password' })
      .expect(303);
    const stored = p.ctx.db.prepare('SELECT form_path, body FROM saved_forms ORDER BY created_at DESC LIMIT 1').get() as { form_path: string; body: string };
    assert.equal(stored.form_path, FORM);
    assert.doesNotMatch(stored.body, /password/i, 'no password is ever kept');
    const back = await signInAgain(agent, String(sent.headers.location));
    const form = (await agent.get(String(back.headers.location)).expect(200)).text;
    assert.match(form, /A long message, typed over 40 minutes\.<\/textarea>/);
  });
});
