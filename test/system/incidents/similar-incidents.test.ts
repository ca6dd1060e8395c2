import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createComponent } from '../../../server/domain/page/components.js';
import { scheduleMaintenance } from '../../../server/domain/incidents/maintenance.js';
import { confirmToken } from '../../../server/domain/subscribers/tokens.js';
import { confirmSubscription, subscribe } from '../../../server/domain/subscribers/subscribers.js';
import { addApiKey, addUser, csrfOf, signIn, startPharos, type Agent, type TestPharos } from '../../helpers/pharos.js';

/**
 * A second incident with the name of one opened minutes ago (Back and Create again with a fresh form, two
 * operators at once): the new-incident form asks first, keeping everything typed, with "open it" and
 * "post anyway". The management API, which automation calls, is not asked.
 */
describe('a new incident named like one opened in the last minutes', () => {
  let p: TestPharos;
  let ops: Agent;
  let other: Agent;
  let api = '';
  let key = '';

  before(async () => {
    p = await startPharos();
    await addUser(p, 'ops@example.com', 'operator');
    await addUser(p, 'other@example.com', 'operator');
    ops = await signIn(p, 'ops@example.com');
    other = await signIn(p, 'other@example.com');
    key = addApiKey(p);
    api = createComponent(p.ctx, { type: 'system' }, { name: 'API' }).id;
    subscribe(p.ctx, { email: 'reader@example.com', all: true });
    const row = p.ctx.db.prepare('SELECT id, confirm_nonce FROM subscribers').get() as { id: string; confirm_nonce: string };
    assert.ok(confirmSubscription(p.ctx, confirmToken(p.ctx.secret, row.id, row.confirm_nonce)));
  });
  after(() => p.close());

  const count = (name: string) => p.ctx.db.prepare('SELECT COUNT(*) FROM incidents WHERE name = ?').pluck().get(name) as number;
  const mails = () => p.ctx.db.prepare("SELECT COUNT(*) FROM deliveries WHERE kind = 'incident_update'").pluck().get() as number;
  const idOf = (name: string) => p.ctx.db.prepare('SELECT id FROM incidents WHERE name = ?').pluck().get(name) as string;
  /** A fresh new-incident form, as a browser loads it: its CSRF token and one-time token. */
  const freshForm = async (agent: Agent) => {
    const html = (await agent.get('/admin/incidents/new').expect(200)).text;
    return { _csrf: csrfOf(html), _once: /name="_once" value="([^"]+)"/.exec(html)?.[1] ?? '' };
  };
  const create = async (agent: Agent, fields: Record<string, string>) =>
    agent
      .post('/admin/incidents')
      .type('form')
      .send({ ...(await freshForm(agent)), status: 'investigating', deliver_notifications: 'on', ...fields });

  it('asks before posting, with the form as typed, and creates nothing until told', async () => {
    await create(ops, { name: 'Payments failing', body: 'Card payments fail.' }).then((r) => assert.equal(r.status, 303));
    const firstId = idOf('Payments failing');
    const mailed = mails();
    p.clock.advance(3 * 60_000);
    const form = await freshForm(ops);
    const typed = {
      ...form,
      name: 'Payments failing in the EU',
      status: 'identified',
      body: 'EU cards are declined <again>.',
      deliver_notifications: 'on',
      [`components.${api}`]: 'partial_outage',
    };
    const asked = await ops.post('/admin/incidents').type('form').send(typed);
    assert.equal(asked.status, 409);
    assert.match(asked.text, /<h2 id="similar-title">An incident named “Payments failing” was opened 3 minutes ago<\/h2>/);
    assert.match(asked.text, new RegExp(`<a class="button" href="/admin/incidents/${firstId}">Open “Payments failing”</a>`));
    assert.match(asked.text, new RegExp(`<button type="submit" class="secondary" name="post_anyway" value="${firstId}">Post this incident anyway</button>`));
    // Everything typed is kept, the one-time token included (given back: the form may be sent once more).
    assert.match(asked.text, /id="name" name="name" type="text"[^>]* value="Payments failing in the EU"/);
    assert.match(asked.text, /<option value="identified" selected>/);
    assert.match(asked.text, /EU cards are declined &lt;again&gt;\.<\/textarea>/);
    assert.match(asked.text, new RegExp(`name="components.${api}"[\\s\\S]*?<option value="partial_outage" selected>`));
    assert.match(asked.text, new RegExp(`name="_once" value="${form._once}"`));
    assert.equal(count('Payments failing in the EU'), 0, 'nothing created');
    assert.equal(mails(), mailed, 'nobody mailed');

    // "Post anyway": the same form, with the button's answer.
    const posted = await ops
      .post('/admin/incidents')
      .type('form')
      .send({ ...typed, post_anyway: firstId });
    assert.equal(posted.status, 303);
    assert.equal(posted.headers.location, `/admin/incidents/${idOf('Payments failing in the EU')}`);
    assert.equal(count('Payments failing in the EU'), 1);
    assert.ok(mails() > mailed, 'subscribers are told of the second incident');
  });

  it("a colleague's incident counts too; one the operator was not shown is asked about again", async () => {
    await create(other, { name: 'Login page down' }).then((r) => assert.equal(r.status, 303));
    const shown = idOf('Login page down');
    const asked = await create(ops, { name: 'login page DOWN!' });
    assert.equal(asked.status, 409);
    assert.match(asked.text, /An incident named “Login page down” was opened less than a minute ago/);
    // Another one, opened meanwhile: "post anyway" answered for the first only.
    await create(other, { name: 'The login page is down' }).then((r) => assert.equal(r.status, 409, 'the colleague is asked too'));
    await create(other, { name: 'The login page is down', post_anyway: shown }).then((r) => assert.equal(r.status, 303));
    const again = await create(ops, { name: 'login page DOWN!', post_anyway: shown });
    assert.equal(again.status, 409);
    assert.match(again.text, /An incident named “The login page is down” was opened less than a minute ago/);
    assert.match(again.text, /Also opened in the last 10 minutes:[\s\S]*Login page down/);
  });

  it('not asked: after 10 minutes, for another name, for a maintenance window, nor through the API', async () => {
    await create(ops, { name: 'Search is slow' }).then((r) => assert.equal(r.status, 303));
    p.clock.advance(10 * 60_000 + 1000);
    await create(ops, { name: 'Search is slow' }).then((r) => assert.equal(r.status, 303, 'opened more than 10 minutes ago'));
    await create(ops, { name: 'Webhooks delayed' }).then((r) => assert.equal(r.status, 303, 'another problem'));
    scheduleMaintenance(
      p.ctx,
      { type: 'system' },
      { name: 'Database upgrade', scheduled_for: '2026-12-24T02:00:00Z', scheduled_until: '2026-12-24T03:00:00Z' },
    );
    await create(ops, { name: 'Database upgrade' }).then((r) => assert.equal(r.status, 303, 'a window is not an incident'));
    await request(p.app)
      .post(`/api/v1/pages/${p.ctx.pageId}/incidents`)
      .set('Authorization', `OAuth ${key}`)
      .send({ incident: { name: 'Webhooks delayed', status: 'investigating' } })
      .expect(201);
    assert.equal(count('Webhooks delayed'), 2);
  });

  it('a form with a mistake shows the mistake first, not the question', async () => {
    const res = await create(ops, { name: 'Webhooks delayed', started_at: 'yesterday-ish' });
    assert.equal(res.status, 422);
    assert.match(res.text, /Enter a date and time/);
    assert.doesNotMatch(res.text, /id="similar-title"/);
  });
});
