import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createComponent } from '../../../server/domain/page/components.js';
import { createIncident, patchIncident } from '../../../server/domain/incidents/writes.js';
import { publishCommunication } from '../../../server/domain/subscribers/communications.js';
import { confirmByLink, startPharos, type TestPharos, settleMail } from '../../helpers/pharos.js';
import { linkIn, TestSmtp } from '../../helpers/smtp.js';

const system = { type: 'system' } as const;

/** "Follow this incident" on an incident page: mail for that incident's updates alone, after a double opt-in. */
describe('following one incident', () => {
  let smtp: TestSmtp;
  let p: TestPharos;
  let api: string;
  let followed: string;
  let other: string;
  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
    p = await startPharos({ env: { SMTP_URL: smtp.url, PUBLIC_URL: 'https://status.acme.test', PAGE_NAME: 'ACME Status' } });
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    followed = createIncident(p.ctx, system, { name: 'Login failures', components: { [api]: 'major_outage' } }).id;
    other = createIncident(p.ctx, system, { name: 'Slow search', components: { [api]: 'degraded_performance' } }).id;
    await settleMail(p);
  });
  after(async () => {
    await p.close();
    await smtp.stop();
  });

  const texts = (to: string) => smtp.to(to).map((r) => r.mail.subject ?? '');

  it('the incident page has the form; following sends a confirmation that names the incident', async () => {
    const page = (await request(p.app).get(`/incidents/${followed}`).expect(200)).text;
    assert.match(page, new RegExp(`<form method="post" action="/incidents/${followed}/follow"`));
    assert.match(page, /Follow this incident/);
    const res = await request(p.app).post(`/incidents/${followed}/follow`).type('form').send({ email: 'Viewer@Example.com' }).expect(200);
    assert.match(res.text, /Check your inbox/);
    await smtp.until(() => smtp.to('viewer@example.com').length === 1);
    const confirmation = smtp.to('viewer@example.com')[0];
    assert.ok(confirmation);
    assert.match(confirmation.mail.text ?? '', /each update of "Login failures" \(only that\)/);
    const done = await confirmByLink(p.app, new URL(linkIn(confirmation, /\/subscriptions\/confirm\//)).pathname);
    assert.match(done.text, /each update of what it follows/);
  });

  it("then gets that incident's updates, and not another incident on the same component, nor notices", async () => {
    patchIncident(p.ctx, system, followed, { status: 'identified', body: 'A bad certificate.' });
    patchIncident(p.ctx, system, other, { status: 'identified', body: 'An index rebuild.' });
    publishCommunication(p.ctx, system, { category: 'general', title: 'New terms', body: 'Read them.' });
    await settleMail(p);
    await smtp.until(() => smtp.to('viewer@example.com').length === 2);
    await settleMail(p);
    assert.deepEqual(texts('viewer@example.com').slice(1), ['Login failures · ACME Status']);
  });

  it('a bad address re-renders the follow form with the field named, and nothing is stored', async () => {
    const count = () => p.ctx.db.prepare('SELECT COUNT(*) FROM subscribers').pluck().get();
    const before = count();
    const res = await request(p.app).post(`/incidents/${followed}/follow`).type('form').send({ email: 'not an address' });
    assert.equal(res.status, 422);
    assert.match(res.text, /id="email-error">/);
    assert.match(res.text, /Follow: Login failures/);
    assert.match(res.text, /value="not an address"/);
    assert.equal(count(), before);
    await request(p.app).post('/incidents/nosuch/follow').type('form').send({ email: 'a@example.com' }).expect(404);
  });

  it("following does not change a pending subscriber's choice of components, nor add to a confirmed one's", async () => {
    await request(p.app).post('/subscribe').type('form').send({ email: 'picky@example.com', scope: 'some', components: api }).expect(200);
    await request(p.app).post(`/incidents/${other}/follow`).type('form').send({ email: 'picky@example.com' }).expect(200);
    const picky = p.ctx.db.prepare("SELECT id, all_components, scope FROM subscribers WHERE email = 'picky@example.com'").get() as {
      id: string;
      all_components: number;
      scope: string;
    };
    assert.deepEqual([picky.all_components, picky.scope], [0, 'page']);
    assert.deepEqual(p.ctx.db.prepare('SELECT component_id FROM subscriber_components WHERE subscriber_id = ?').pluck().all(picky.id), [api]);
    const viewer = p.ctx.db.prepare("SELECT id FROM subscribers WHERE email = 'viewer@example.com'").pluck().get() as string;
    await request(p.app).post(`/incidents/${other}/follow`).type('form').send({ email: 'viewer@example.com' }).expect(200);
    assert.deepEqual(p.ctx.db.prepare('SELECT incident_id FROM subscriber_incidents WHERE subscriber_id = ?').pluck().all(viewer), [followed]);
  });

  it('choosing components on the manage page makes the follower a subscriber of the page', async () => {
    const confirmation = smtp.to('viewer@example.com')[1];
    assert.ok(confirmation);
    const manage = new URL(linkIn(confirmation, /\/subscriptions\/manage\//)).pathname;
    assert.match((await request(p.app).get(manage).expect(200)).text, /follows single incidents only/);
    await request(p.app).post(manage).type('form').send({ scope: 'all' }).expect(200);
    assert.equal(p.ctx.db.prepare("SELECT scope FROM subscribers WHERE email = 'viewer@example.com'").pluck().get(), 'page');
    const n = smtp.to('viewer@example.com').length;
    patchIncident(p.ctx, system, other, { status: 'monitoring', body: 'Rebuilt.' });
    await settleMail(p);
    await smtp.until(() => smtp.to('viewer@example.com').length === n + 1);
  });
});
