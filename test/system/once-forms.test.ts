import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { confirmToken } from '../../server/domain/subscribers/tokens.js';
import { confirmSubscription, subscribe } from '../../server/domain/subscribers/subscribers.js';
import { addUser, csrfOf, signIn, startPharos, type Agent, type TestPharos } from '../helpers/pharos.js';

/** The back button after "Create incident", or a double click: one incident, one mail per subscriber. */
describe('create forms are carried out once', () => {
  let p: TestPharos;
  let ops: Agent;
  let other: Agent;
  before(async () => {
    p = await startPharos();
    await addUser(p, 'ops@example.com', 'operator');
    await addUser(p, 'other@example.com', 'operator');
    ops = await signIn(p, 'ops@example.com');
    other = await signIn(p, 'other@example.com');
    subscribe(p.ctx, { email: 'reader@example.com', all: true });
    const row = p.ctx.db.prepare('SELECT id, confirm_nonce FROM subscribers').get() as { id: string; confirm_nonce: string };
    assert.ok(confirmSubscription(p.ctx, confirmToken(p.ctx.secret, row.id, row.confirm_nonce)));
  });
  after(() => p.close());

  /** A local URL with one more parameter, before its fragment. */
  const withParam = (url: string, param: string) => {
    const [path = '', hash] = url.split('#');
    return `${path}${path.includes('?') ? '&' : '?'}${param}${hash === undefined ? '' : `#${hash}`}`;
  };
  const count = (sql: string) => p.ctx.db.prepare(sql).pluck().get() as number;
  /** The form page as a browser has it: its CSRF token and its one-time token. */
  const formOf = async (agent: Agent, path: string) => {
    const html = (await agent.get(path).expect(200)).text;
    const once = /name="_once" value="([^"]+)"/.exec(html)?.[1];
    assert.ok(once, `${path} carries a one-time token`);
    return { csrf: csrfOf(html), once };
  };

  it('the same new-incident form sent twice: one incident and one mail per subscriber, both answers lead to it', async () => {
    const f = await formOf(ops, '/admin/incidents/new');
    const fields = { _csrf: f.csrf, _once: f.once, name: 'Payments failing', status: 'investigating', body: 'Looking.', deliver_notifications: 'on' };
    const first = await ops.post('/admin/incidents').type('form').send(fields).expect(303);
    const again = await ops.post('/admin/incidents').type('form').send(fields).expect(303);
    assert.equal(again.headers.location, `${first.headers.location}?resent=incident`);
    // The first result, saying so; the same page opened as usual says nothing of it.
    const notice = /This incident was already created: its form was sent again \(Back, then send\), and nothing was done twice\./;
    assert.match((await ops.get(String(again.headers.location)).expect(200)).text, notice);
    assert.doesNotMatch((await ops.get(String(first.headers.location)).expect(200)).text, notice);
    assert.doesNotMatch((await ops.get(`${first.headers.location}?resent=<b>`).expect(200)).text, /already|&lt;b&gt;/, 'only its own words');
    assert.equal(count("SELECT COUNT(*) FROM incidents WHERE name = 'Payments failing'"), 1);
    assert.equal(count("SELECT COUNT(*) FROM deliveries WHERE kind = 'incident_update' AND recipient = 'reader@example.com'"), 1);
    const next = await formOf(ops, '/admin/incidents/new');
    assert.notEqual(next.once, f.once, 'each page load has a fresh token');
  });

  it("an update form sent twice posts one update; another operator's copy of the token creates nothing", async () => {
    const id = p.ctx.db.prepare("SELECT id FROM incidents WHERE name = 'Payments failing'").pluck().get() as string;
    const f = await formOf(ops, `/admin/incidents/${id}`);
    const fields = { _csrf: f.csrf, _once: f.once, status: 'identified', body: 'A bad deploy.', deliver_notifications: 'on' };
    await ops.post(`/admin/incidents/${id}/updates`).type('form').send(fields).expect(303);
    const again = await ops.post(`/admin/incidents/${id}/updates`).type('form').send(fields).expect(303);
    assert.equal(again.headers.location, `/admin/incidents/${id}?resent=update`);
    assert.match((await ops.get(String(again.headers.location)).expect(200)).text, /This update was already posted: its form was sent again/);
    const theirs = await formOf(other, `/admin/incidents/${id}`);
    await other
      .post(`/admin/incidents/${id}/updates`)
      .type('form')
      .send({ ...fields, _csrf: theirs.csrf })
      .expect(409);
    assert.equal(count(`SELECT COUNT(*) FROM incident_updates WHERE incident_id = '${id}' AND body = 'A bad deploy.'`), 1);
  });

  it('a refused submission keeps its token in the form shown again, and the corrected one goes through once', async () => {
    const f = await formOf(ops, '/admin/incidents/new');
    const bad = await ops.post('/admin/incidents').type('form').send({ _csrf: f.csrf, _once: f.once, name: ' ', status: 'investigating' }).expect(422);
    assert.match(bad.text, new RegExp(`name="_once" value="${f.once}"`));
    const fixed = { _csrf: f.csrf, _once: f.once, name: 'Fixed name', status: 'investigating' };
    await ops.post('/admin/incidents').type('form').send(fixed).expect(303);
    await ops.post('/admin/incidents').type('form').send(fixed).expect(303);
    assert.equal(count("SELECT COUNT(*) FROM incidents WHERE name = 'Fixed name'"), 1);
  });

  it('the same token with the form changed since (back, edit, send) leads to the first result, saying the changes were not sent', async () => {
    const f = await formOf(ops, '/admin/incidents/new');
    const first = await ops
      .post('/admin/incidents')
      .type('form')
      .send({ _csrf: f.csrf, _once: f.once, name: 'First wording', status: 'investigating' })
      .expect(303);
    const changed = await ops.post('/admin/incidents').type('form').send({ _csrf: f.csrf, _once: f.once, name: 'Second wording', status: 'investigating' });
    assert.equal(changed.status, 303);
    assert.equal(changed.headers.location, `${first.headers.location}?resent=incident-changed`);
    const page = (await ops.get(String(changed.headers.location)).expect(200)).text;
    assert.match(page, /This incident was already created: its form was sent again with changes, which were not sent, and nothing was done twice\./);
    assert.match(page, /<h1[^>]*>First wording<\/h1>/);
    assert.equal(count("SELECT COUNT(*) FROM incidents WHERE name IN ('First wording', 'Second wording')"), 1);
  });

  it('the maintenance form and the other create forms: sent again, one of each, and their first result', async () => {
    const m = await formOf(ops, '/admin/maintenance/new');
    const window = {
      _csrf: m.csrf,
      _once: m.once,
      name: 'Router swap',
      scheduled_for: '2026-12-24T02:00',
      scheduled_until: '2026-12-24T03:00',
      body: 'Swapping.',
    };
    const first = await ops.post('/admin/maintenance').type('form').send(window).expect(303);
    const again = await ops.post('/admin/maintenance').type('form').send(window).expect(303);
    assert.equal(again.headers.location, `${first.headers.location}?resent=maintenance`);
    assert.match((await ops.get(String(again.headers.location)).expect(200)).text, /This maintenance was already scheduled: its form was sent again/);
    assert.equal(count("SELECT COUNT(*) FROM incidents WHERE name = 'Router swap'"), 1);

    await addUser(p, 'admin@example.com', 'admin');
    const admin = await signIn(p, 'admin@example.com');
    const c = await formOf(admin, '/admin/components/new');
    const component = { _csrf: c.csrf, _once: c.once, name: 'Search', status: 'operational' };
    const made = await admin.post('/admin/components').type('form').send(component).expect(303);
    const resent = await admin.post('/admin/components').type('form').send(component).expect(303);
    assert.equal(resent.headers.location, withParam(String(made.headers.location), 'resent=form'));
    assert.match((await admin.get(String(resent.headers.location)).expect(200)).text, /This was already done: its form was sent again/);
    assert.equal(count("SELECT COUNT(*) FROM components WHERE name = 'Search'"), 1);
  });
});
