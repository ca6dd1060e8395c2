import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createIncident } from '../../../server/domain/incidents/writes.js';
import { startPharos, type TestPharos, settleMail as settle } from '../../helpers/pharos.js';
import { linkIn, TestSmtp } from '../../helpers/smtp.js';

/**
 * The links in subscribers' mail: a confirmation link confirms only when its button is pressed (mail
 * scanners open links), says "already confirmed" when used twice, and an unsubscribe revokes every
 * link sent before it.
 */

const system = { type: 'system' } as const;
const path = (url: string) => new URL(url).pathname;

describe("subscribers' links", () => {
  let smtp: TestSmtp;
  let p: TestPharos;
  const stateOf = (email: string) => p.ctx.db.prepare('SELECT state FROM subscribers WHERE email = ?').pluck().get(email) as string;
  const subscribe = (email: string) => request(p.app).post('/subscribe').type('form').send({ email, scope: 'all' }).expect(200);

  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
    p = await startPharos({ env: { SMTP_URL: smtp.url } });
  });
  after(async () => {
    await p.close();
    await smtp.stop();
  });

  it('a GET of the confirmation link (a mail scanner) confirms nothing; the button on its page does', async () => {
    await subscribe('scanned@example.com');
    await smtp.until(() => smtp.to('scanned@example.com').length === 1);
    const link = path(linkIn(smtp.to('scanned@example.com')[0] ?? smtp.received[0]!, /\/subscriptions\/confirm\//));
    for (let i = 0; i < 3; i++) {
      const page = await request(p.app).get(link).expect(200);
      assert.match(page.text, /Confirm your subscription/);
      assert.match(page.text, new RegExp(`<form method="post" action="${link.replace(/[.]/g, '\\.')}"`));
      assert.match(page.text, /<button type="submit">Confirm my subscription<\/button>/);
    }
    assert.equal(stateOf('scanned@example.com'), 'pending', 'followed three times, still pending');
    const confirmed = await request(p.app).post(link).expect(200);
    assert.match(confirmed.text, /You are subscribed/);
    assert.equal(stateOf('scanned@example.com'), 'confirmed');

    // The second click, either way: already confirmed, 200, not "not found".
    const again = await request(p.app).get(link).expect(200);
    assert.match(again.text, /Already confirmed/);
    assert.doesNotMatch(again.text, /<button/);
    assert.match((await request(p.app).post(link).expect(200)).text, /Already confirmed/);
    assert.equal(stateOf('scanned@example.com'), 'confirmed');
  });

  it('after a one-click unsubscribe, the manage and unsubscribe links of earlier mail are no longer valid, with a way back', async () => {
    await subscribe('leaver@example.com');
    await smtp.until(() => smtp.to('leaver@example.com').length === 1);
    await request(p.app)
      .post(path(linkIn(smtp.to('leaver@example.com')[0]!, /\/subscriptions\/confirm\//)))
      .expect(200);
    createIncident(p.ctx, system, { name: 'Outage', body: 'Down.' });
    await smtp.until(() => smtp.to('leaver@example.com').length === 2);
    const update = smtp.to('leaver@example.com')[1]!;
    const manage = path(linkIn(update, /\/subscriptions\/manage\//));
    const unsubscribe = path(linkIn(update, /\/unsubscribe\//));
    await request(p.app).get(manage).expect(200);
    const versionBefore = p.ctx.db.prepare("SELECT token_version FROM subscribers WHERE email = 'leaver@example.com'").pluck().get() as number;

    // The mail provider's one-click POST (RFC 8058).
    await request(p.app).post(unsubscribe).type('form').send({ 'List-Unsubscribe': 'One-Click' }).expect(200);
    assert.equal(stateOf('leaver@example.com'), 'unsubscribed');
    assert.equal(p.ctx.db.prepare("SELECT token_version FROM subscribers WHERE email = 'leaver@example.com'").pluck().get(), versionBefore + 1);

    for (const [method, link] of [
      ['get', manage],
      ['post', manage],
      ['get', unsubscribe],
    ] as const) {
      const res = await request(p.app)[method](link).type('form').send({ scope: 'all' });
      assert.equal(res.status, 410, `${method.toUpperCase()} ${link}`);
      assert.match(res.text, /This link is no longer valid/);
      assert.match(res.text, /<a href="\/subscribe">Subscribe again<\/a>/);
    }
    assert.equal(stateOf('leaver@example.com'), 'unsubscribed', 'the old manage link changed nothing');
    // A mail provider retrying its one-click POST is answered as the first time: nothing more to do.
    assert.match((await request(p.app).post(unsubscribe).expect(200)).text, /You are unsubscribed/);

    // Subscribing again brings new links; the old ones stay dead.
    p.clock.advance(11 * 60_000);
    await subscribe('leaver@example.com');
    await smtp.until(() => smtp.to('leaver@example.com').length === 3);
    const reconfirm = path(linkIn(smtp.to('leaver@example.com')[2]!, /\/subscriptions\/confirm\//));
    await request(p.app).post(reconfirm).expect(200);
    assert.equal(stateOf('leaver@example.com'), 'confirmed');
    createIncident(p.ctx, system, { name: 'Second outage', body: 'Down again.' });
    await smtp.until(() => smtp.to('leaver@example.com').length === 4);
    const fresh = path(linkIn(smtp.to('leaver@example.com')[3]!, /\/subscriptions\/manage\//));
    assert.notEqual(fresh, manage, 'a new token');
    await request(p.app).get(fresh).expect(200);
    await request(p.app).get(manage).expect(410);
    await request(p.app).post(unsubscribe).expect(410);
    assert.equal(stateOf('leaver@example.com'), 'confirmed', 'an old unsubscribe link does not unsubscribe the new subscription');
    await settle(p);
  });

  it('answers a link that was never valid with 404 and a way to subscribe', async () => {
    const forged = '/subscriptions/manage/nosuchsubscriber.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const res = await request(p.app).get(forged).expect(404);
    assert.match(res.text, /Subscribe again/);
    await request(p.app).post('/subscriptions/confirm/nosuch.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA').expect(404);
  });
});
