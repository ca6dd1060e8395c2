import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { PASSWORD, submit, type Agent, type TestPharos, settleMail as settle } from '../../helpers/pharos.js';
import type { TestSmtp } from '../../helpers/smtp.js';
import { count, exists, FORM, gateSettings, PAUSED, SENT, startGateWorld, type GateWorld } from './gate-world.js';

/** The registration gate set by hand: paused, or restricted to listed domains; existing subscribers are still mailed. */

describe('the registration gate: paused and restricted', () => {
  let smtp: TestSmtp;
  let p: TestPharos;
  let admin: Agent;
  let operator: Agent;
  let subscribe: GateWorld['subscribe'];
  let saveGate: GateWorld['saveGate'];
  let freshWindows: GateWorld['freshWindows'];
  let existingSubscriberStillMailed: GateWorld['existingSubscriberStillMailed'];

  before(async () => {
    ({ smtp, p, admin, operator, subscribe, saveGate, freshWindows, existingSubscriberStillMailed } = await startGateWorld());
  });
  after(async () => {
    await p.close();
    await smtp.stop();
  });

  it('paused: the status page and /subscribe say so politely; a sign-up creates and sends nothing; existing subscribers are still mailed', async () => {
    await freshWindows();
    await saveGate({ mode: 'paused' });
    assert.equal(gateSettings(p)['subscriptions.mode'], 'paused');

    const status = await request(p.app).get('/').expect(200);
    assert.match(status.text, PAUSED);
    assert.doesNotMatch(status.text, FORM, 'no sign-up form on the status page');
    const form = await request(p.app).get('/subscribe').expect(200);
    assert.match(form.text, PAUSED);
    assert.match(form.text, /Please come back later/);
    assert.doesNotMatch(form.text, FORM);
    // Paused by an admin, not by a burst: no talk of unusual traffic.
    assert.doesNotMatch(`${status.text}${form.text}`, /unusual traffic/);

    await settle(p);
    const [subscribers, deliveries, received] = [count(p, 'subscribers'), count(p, 'deliveries'), smtp.received.length];
    const res = await subscribe('newcomer@example.com');
    assert.ok(res.status < 500, `answered ${res.status}`);
    assert.match(res.text, PAUSED);
    assert.doesNotMatch(res.text, SENT, 'does not pretend a confirmation was sent');
    assert.equal(exists(p, 'newcomer@example.com'), false);
    assert.equal(count(p, 'subscribers'), subscribers);
    assert.equal(count(p, 'deliveries'), deliveries);
    await settle(p);
    assert.equal(smtp.received.length, received, 'nothing was sent');

    await existingSubscriberStillMailed('Paused gate incident');
  });

  it('restricted: needs at least one domain', async () => {
    const res = await submit(admin, '/admin/settings', '/admin/settings/subscriptions', {
      mode: 'restricted',
      domains: '',
      threshold: '60',
      auto_mode: 'paused',
      confirm_password: PASSWORD,
    });
    assert.equal(res.status, 422);
    assert.match(res.text, /List at least one domain/);
    assert.equal(gateSettings(p)['subscriptions.mode'], 'paused', 'unchanged');
  });

  it('restricted to example.com: an address there is accepted, one at other.org is told politely and nothing is created; existing subscribers are still mailed', async () => {
    await freshWindows();
    await saveGate({ mode: 'restricted', domains: 'example.com' });
    assert.equal(gateSettings(p)['subscriptions.mode'], 'restricted');

    const form = await request(p.app).get('/subscribe').expect(200);
    assert.match(form.text, FORM);
    const status = await request(p.app).get('/').expect(200);
    assert.doesNotMatch(status.text, PAUSED);
    // Visitors are told which addresses are accepted before they type one.
    for (const page of [form.text, status.text]) assert.match(page, /subscriptions are open to addresses at example\.com\./);

    await settle(p);
    const [subscribers, deliveries, received] = [count(p, 'subscribers'), count(p, 'deliveries'), smtp.received.length];
    const refused = await subscribe('someone@other.org');
    assert.ok(refused.status < 500, `answered ${refused.status}`);
    assert.match(refused.text, /only accept new subscriptions from addresses at example\.com/);
    assert.doesNotMatch(refused.text, SENT);
    assert.match(refused.text, /value="someone@other\.org"/, 'what was typed is kept');
    assert.equal(exists(p, 'someone@other.org'), false);
    assert.equal(count(p, 'subscribers'), subscribers);
    assert.equal(count(p, 'deliveries'), deliveries);
    // A look-alike domain is not the listed one.
    assert.doesNotMatch((await subscribe('someone@notexample.com')).text, SENT);
    assert.equal(exists(p, 'someone@notexample.com'), false);
    await settle(p);
    assert.equal(smtp.received.length, received, 'nothing was sent to refused addresses');

    const accepted = await subscribe('Alice@Example.com');
    assert.equal(accepted.status, 200);
    assert.match(accepted.text, SENT);
    assert.equal(p.ctx.db.prepare("SELECT state FROM subscribers WHERE email = 'alice@example.com'").pluck().get(), 'pending');
    await smtp.until(() => smtp.to('alice@example.com').length === 1);
    assert.match(smtp.to('alice@example.com')[0]?.mail.subject ?? '', /Confirm your subscription/);

    await existingSubscriberStillMailed('Restricted gate incident');
  });

  it('an operator cannot change the gate', async () => {
    const page = await operator.get('/admin/settings');
    assert.equal(page.status, 403);
  });
});
