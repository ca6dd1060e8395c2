import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createComponent } from '../../../server/domain/page/components.js';
import { createIncident, patchIncident } from '../../../server/domain/incidents/writes.js';
import { confirmByLink, startPharos, type TestPharos, settleMail as settle } from '../../helpers/pharos.js';
import { linkIn, TestSmtp, type Received } from '../../helpers/smtp.js';

const system = { type: 'system' } as const;
const path = (url: string) => new URL(url).pathname;
/** A header as sent, unfolded. */
const header = (r: Received, name: string) =>
  (r.mail.headerLines.find((h) => h.key === name.toLowerCase())?.line ?? '').replace(/^[^:]+:\s*/, '').replace(/\r?\n[ \t]+/g, ' ');

describe('subscribers and notifications, end to end through a real SMTP server', () => {
  let smtp: TestSmtp;
  let p: TestPharos;
  let api: string;
  let web: string;

  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
    p = await startPharos({ env: { SMTP_URL: smtp.url, PUBLIC_URL: 'https://status.acme.test', PAGE_NAME: 'ACME Status' } });
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    web = createComponent(p.ctx, system, { name: 'Web app' }).id;
  });
  after(async () => {
    await p.close();
    await smtp.stop();
  });

  const subscribe = (fields: Record<string, string | string[]>) => request(p.app).post('/subscribe').type('form').send(fields);

  it('double opt-in: one confirmation, nothing else until it is clicked, a single-use link', async () => {
    const res = await subscribe({ email: 'Alice@Example.com', scope: 'all' });
    assert.equal(res.status, 200);
    assert.match(res.text, /Check your inbox/);
    await smtp.until(() => smtp.to('alice@example.com').length === 1);
    const [confirmation] = smtp.to('alice@example.com');
    assert.ok(confirmation);
    assert.match(confirmation.mail.subject ?? '', /Confirm your subscription to ACME Status/);
    assert.ok(confirmation.mail.html, 'an HTML part');
    assert.match(confirmation.mail.text ?? '', /works once and for 48 hours/);

    // Asking again within 10 minutes sends nothing more; an incident before confirming sends nothing.
    assert.match((await subscribe({ email: 'alice@example.com', scope: 'all' })).text, /Check your inbox/);
    createIncident(p.ctx, system, { name: 'Before confirming', components: { [api]: 'degraded_performance' } });
    await settle(p);
    assert.equal(smtp.to('alice@example.com').length, 1);

    const link = linkIn(confirmation, /\/subscriptions\/confirm\//);
    assert.ok(link.startsWith('https://status.acme.test/'));
    const confirmed = await confirmByLink(p.app, path(link));
    assert.equal(confirmed.status, 200);
    assert.match(confirmed.text, /You are subscribed/);
    // A second click says so, rather than "not found".
    assert.match((await request(p.app).get(path(link)).expect(200)).text, /Already confirmed/);
  });

  it('answers the same whether an address is new, pending or subscribed', async () => {
    p.clock.advance(11 * 60_000);
    const answers = await Promise.all(
      ['newcomer@example.com', 'alice@example.com'].map(async (email) => (await subscribe({ email, scope: 'all' })).text.replace(/value="[^"]*"/g, '')),
    );
    assert.equal(answers[0], answers[1]);
    await smtp.until(() => smtp.to('alice@example.com').length === 2);
    assert.match(smtp.to('alice@example.com')[1]?.mail.subject ?? '', /already subscribed/);
  });

  it('refuses an invalid address with a message, keeping what was typed', async () => {
    const res = await subscribe({ email: 'not an address', scope: 'some', components: [web] });
    assert.equal(res.status, 422);
    assert.match(res.text, /Enter a valid email address/);
    assert.match(res.text, /value="not an address"/);
    assert.match(res.text, new RegExp(`value="${web}" checked`));
  });

  it('mails an incident and each update, threaded, to subscribers of the affected components only', async () => {
    await subscribe({ email: 'bob@example.com', scope: 'some', components: [web] });
    await smtp.until(() => smtp.to('bob@example.com').length === 1);
    const bobConfirm = smtp.to('bob@example.com')[0];
    assert.ok(bobConfirm);
    assert.equal((await confirmByLink(p.app, path(linkIn(bobConfirm, /\/subscriptions\/confirm\//)))).status, 200);

    const incident = createIncident(p.ctx, system, {
      name: 'Large-scale malicious attacks',
      status: 'investigating',
      body: 'We are under **attack**.',
      components: { [api]: 'major_outage' },
    });
    await smtp.until(() => smtp.to('alice@example.com').length === 3);
    p.clock.advance(60_000);
    patchIncident(p.ctx, system, incident.id, { status: 'identified', body: 'Filtering is being deployed.' });
    await smtp.until(() => smtp.to('alice@example.com').length === 4);
    await settle(p);
    assert.equal(smtp.to('bob@example.com').length, 1, 'bob chose only the web app');

    const [first, second] = smtp.to('alice@example.com').slice(2);
    assert.ok(first && second);
    assert.equal(first.mail.subject, 'Large-scale malicious attacks · ACME Status');
    assert.equal(second.mail.subject, first.mail.subject, 'one subject per incident: the state is in the body');
    assert.notEqual(first.mail.messageId, second.mail.messageId);
    assert.equal(first.mail.inReplyTo, second.mail.inReplyTo);
    assert.match(String(first.mail.inReplyTo), new RegExp(`<incident\\.${incident.id}@status\\.acme\\.test>`));
    assert.match(JSON.stringify(second.mail.references), new RegExp(`incident\\.${incident.id}@`));
    assert.match(first.mail.text ?? '', /^Investigating - /);
    assert.match(first.mail.html || '', /<strong>attack<\/strong>/);
    assert.match(second.mail.text ?? '', /^Identified[\s\S]*Filtering is being deployed[\s\S]*Earlier updates[\s\S]*We are under attack\./);
    for (const m of [first, second]) {
      assert.doesNotMatch(`${m.mail.text}${m.mail.html}`, /\[object Object\]/);
      assert.match(header(m, 'list-unsubscribe'), /<https:\/\/status\.acme\.test\/unsubscribe\/[a-z0-9]+\.[\w-]{43}>/);
      assert.equal(header(m, 'list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
      assert.match(m.mail.text ?? '', /Manage your subscription: https:\/\/status\.acme\.test\/subscriptions\/manage\//);
    }

    // Resolved: the state first in the body, how long it lasted under it, the same subject and thread.
    p.clock.advance(4 * 60_000);
    patchIncident(p.ctx, system, incident.id, { status: 'resolved', body: 'Back to normal.' });
    await smtp.until(() => smtp.to('alice@example.com').length === 5);
    const resolved = smtp.to('alice@example.com')[4];
    assert.equal(resolved?.mail.subject, 'Large-scale malicious attacks · ACME Status');
    assert.match(resolved?.mail.text ?? '', /^Resolved - .*\nResolved after 5 min$/m);
    assert.match(String(resolved?.mail.html), /<strong>Resolved after 5 min<\/strong>/);
    assert.equal(resolved?.mail.inReplyTo, first.mail.inReplyTo, 'the same thread');

    createIncident(p.ctx, system, { name: 'Web app slow', components: { [web]: 'degraded_performance' } });
    await smtp.until(() => smtp.to('bob@example.com').length === 2);
    assert.match(smtp.to('bob@example.com')[1]?.mail.subject ?? '', /Web app slow/);
  });

  it('sends nothing when the operator turns notifications off', async () => {
    const before = smtp.received.length;
    createIncident(p.ctx, system, { name: 'Quiet fix', deliver_notifications: false, components: { [api]: 'degraded_performance' } });
    await settle(p);
    assert.equal(smtp.received.length, before);
  });

  it('lets a subscriber choose components from the manage link', async () => {
    const last = smtp.to('alice@example.com').at(-1);
    assert.ok(last);
    const manage = path(linkIn(last, /\/subscriptions\/manage\//));
    const page = await request(p.app).get(manage).expect(200);
    assert.match(page.text, /alice@example\.com/);
    const saved = await request(p.app)
      .post(manage)
      .type('form')
      .send({ scope: 'some', components: [web] })
      .expect(200);
    assert.match(saved.text, /Saved/);
    const before = smtp.to('alice@example.com').length;
    createIncident(p.ctx, system, { name: 'API only', components: { [api]: 'partial_outage' } });
    await settle(p);
    assert.equal(smtp.to('alice@example.com').length, before, 'no longer about the API');
    await request(p.app).post(manage).type('form').send({ scope: 'all' }).expect(200);
  });

  it('unsubscribes in one click (form-encoded and multipart, no cookie, no token), never by a GET', async () => {
    const aliceLink = header(smtp.to('alice@example.com').at(-1) as Received, 'list-unsubscribe').replace(/^.*<|>.*$/g, '');
    const bobLink = header(smtp.to('bob@example.com').at(-1) as Received, 'list-unsubscribe').replace(/^.*<|>.*$/g, '');

    const shown = await request(p.app).get(path(aliceLink)).expect(200);
    assert.match(shown.text, /<button type="submit">Unsubscribe<\/button>/);
    assert.equal(p.ctx.db.prepare("SELECT state FROM subscribers WHERE email = 'alice@example.com'").pluck().get(), 'confirmed');

    const a = await request(p.app).post(path(aliceLink)).type('form').send('List-Unsubscribe=One-Click');
    assert.equal(a.status, 200);
    assert.equal(a.headers.location, undefined);
    const b = await request(p.app).post(path(bobLink)).field('List-Unsubscribe', 'One-Click');
    assert.equal(b.status, 200);
    assert.deepEqual(p.ctx.db.prepare("SELECT state FROM subscribers WHERE email IN ('alice@example.com', 'bob@example.com')").pluck().all(), [
      'unsubscribed',
      'unsubscribed',
    ]);

    const before = smtp.received.length;
    createIncident(p.ctx, system, { name: 'After unsubscribing', components: { [api]: 'major_outage', [web]: 'major_outage' } });
    await settle(p);
    assert.equal(smtp.received.slice(before).filter((r) => r.to === 'alice@example.com' || r.to === 'bob@example.com').length, 0);

    await request(p.app).post('/unsubscribe/nosuch.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA').expect(404);
  });

  it('a confirmation link expires after 48 hours', async () => {
    await subscribe({ email: 'late@example.com', scope: 'all' });
    await smtp.until(() => smtp.to('late@example.com').length === 1);
    const late = smtp.to('late@example.com')[0];
    assert.ok(late);
    p.clock.advance(48 * 3_600_000 + 60_000);
    await request(p.app)
      .get(path(linkIn(late, /\/subscriptions\/confirm\//)))
      .expect(404);
    assert.equal(p.ctx.db.prepare("SELECT state FROM subscribers WHERE email = 'late@example.com'").pluck().get(), 'pending');
  });
});
