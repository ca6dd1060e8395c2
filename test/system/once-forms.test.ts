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
    assert.equal(again.headers.location, first.headers.location);
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
    await ops.post(`/admin/incidents/${id}/updates`).type('form').send(fields).expect(303);
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

  it('the same token with the form changed since (back, edit, send) is told so, and creates nothing', async () => {
    const f = await formOf(ops, '/admin/incidents/new');
    await ops.post('/admin/incidents').type('form').send({ _csrf: f.csrf, _once: f.once, name: 'First wording', status: 'investigating' }).expect(303);
    const changed = await ops.post('/admin/incidents').type('form').send({ _csrf: f.csrf, _once: f.once, name: 'Second wording', status: 'investigating' });
    assert.equal(changed.status, 409);
    assert.match(changed.text, /has been changed since\. Nothing was done/);
    assert.equal(count("SELECT COUNT(*) FROM incidents WHERE name IN ('First wording', 'Second wording')"), 1);
  });
});
