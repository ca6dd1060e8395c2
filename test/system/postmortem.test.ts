import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident, patchIncident } from '../../server/domain/incidents/writes.js';
import { scheduleMaintenance } from '../../server/domain/incidents/maintenance.js';
import { importCsv } from '../../server/domain/subscribers/import-export.js';
import { addApiKey, addUser, signIn, startPharos, submit, type Agent, type TestPharos } from '../helpers/pharos.js';

const system = { type: 'system' } as const;
type Postmortem = { body: string | null; body_draft: string | null; published_at: string | null; notify_subscribers: boolean };

/** Statuspage's postmortems: a draft after the incident is resolved, published (status postmortem), reverted. */
describe('postmortems', () => {
  let p: TestPharos;
  let key: string;
  let operator: Agent;
  let incident: string;
  const pm = () => `/api/v1/pages/${p.ctx.pageId}/incidents/${incident}/postmortem`;
  const auth = () => ({ Authorization: `OAuth ${key}` });
  const status = () => p.ctx.db.prepare('SELECT status FROM incidents WHERE id = ?').pluck().get(incident);

  before(async () => {
    p = await startPharos();
    key = addApiKey(p);
    importCsv(p.ctx, system, 'email\nreader@example.com', true);
    const api = createComponent(p.ctx, system, { name: 'API' }).id;
    incident = createIncident(p.ctx, system, { name: 'Login failures', components: { [api]: 'major_outage' } }).id;
    await addUser(p, 'operator@example.com', 'operator');
    operator = await signIn(p, 'operator@example.com');
  });
  after(() => p.close());

  it('refuses a postmortem before the incident is resolved, and for maintenance, naming it; changes nothing', async () => {
    const res = await request(p.app)
      .put(pm())
      .set(auth())
      .send({ postmortem: { body_draft: 'Too early.' } });
    assert.equal(res.status, 422);
    assert.ok((res.body as { error: { fields: Record<string, string> } }).error.fields['postmortem.postmortem']);
    const window = scheduleMaintenance(p.ctx, system, { name: 'Upgrade', scheduled_for: '2026-12-03T02:00:00Z', scheduled_until: '2026-12-03T04:00:00Z' }).id;
    await request(p.app)
      .put(`/api/v1/pages/${p.ctx.pageId}/incidents/${window}/postmortem`)
      .set(auth())
      .send({ postmortem: { body_draft: 'x' } })
      .expect(422);
    assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM incidents WHERE postmortem_draft IS NOT NULL').pluck().get(), 0);
  });

  it('a draft (form-encoded, .json) is not public; publishing shows it on the page and in the feed, and tells subscribers', async () => {
    patchIncident(p.ctx, system, incident, { status: 'resolved', body: 'Fixed.' });
    const draft = await request(p.app)
      .put(`${pm()}.json`)
      .set(auth())
      .type('form')
      .send('postmortem[body_draft]=## What happened%0A%0AA certificate expired at 09:12.')
      .expect(200);
    assert.equal((draft.body as Postmortem).body_draft, '## What happened\n\nA certificate expired at 09:12.');
    assert.equal((draft.body as Postmortem).published_at, null, JSON.stringify(draft.body));
    assert.doesNotMatch((await request(p.app).get(`/incidents/${incident}`).expect(200)).text, /certificate expired/);
    const before = p.ctx.db.prepare("SELECT COUNT(*) FROM deliveries WHERE recipient = 'reader@example.com'").pluck().get() as number;
    const published = await request(p.app)
      .put(`${pm()}/publish`)
      .set(auth())
      .send({ postmortem: { notify_subscribers: true } })
      .expect(200);
    assert.ok((published.body as Postmortem).published_at, JSON.stringify(published.body));
    assert.equal(status(), 'postmortem');
    const page = (await request(p.app).get(`/incidents/${incident}`).expect(200)).text;
    assert.match(page, /<h2 id="postmortem-heading">Postmortem<\/h2>/);
    assert.match(page, /<h3>What happened<\/h3>/, "its headings fit under the page's, none skipped");
    assert.match(page, /A certificate expired at 09:12\./);
    assert.match((await request(p.app).get('/history.atom').expect(200)).text, /Postmortem.*A certificate expired/s);
    assert.equal(p.ctx.db.prepare("SELECT COUNT(*) FROM deliveries WHERE recipient = 'reader@example.com'").pluck().get(), before + 1);
    const v2 = (await request(p.app).get('/api/v2/incidents.json').expect(200)).body as { incidents: { id: string; status: string }[] };
    assert.equal(v2.incidents.find((i) => i.id === incident)?.status, 'postmortem');
  });

  it('reverting takes it off the page, back to a draft, and the incident is resolved again', async () => {
    const reverted = await request(p.app).put(`${pm()}/revert`).set(auth()).expect(200);
    assert.equal((reverted.body as Postmortem).published_at, null);
    assert.match((reverted.body as Postmortem).body_draft ?? '', /certificate expired/);
    assert.equal(status(), 'resolved');
    assert.doesNotMatch((await request(p.app).get(`/incidents/${incident}`).expect(200)).text, /certificate expired/);
    assert.equal(p.ctx.db.prepare("SELECT COUNT(*) FROM incident_updates WHERE incident_id = ? AND status = 'postmortem'").pluck().get(incident), 0);
    await request(p.app).put(`${pm()}/revert`).set(auth()).expect(422);
  });

  it('the admin editor: preview renders without saving, publish publishes', async () => {
    const pagePath = `/admin/incidents/${incident}`;
    assert.match((await operator.get(pagePath).expect(200)).text, /<h2 id="postmortem">Postmortem<\/h2>/);
    const preview = await submit(operator, pagePath, `${pagePath}/postmortem`, { body_draft: 'Root cause: **expired** certificate.', action: 'preview' });
    assert.equal(preview.status, 200);
    assert.match(preview.text, /<strong>expired<\/strong>/);
    assert.match(
      p.ctx.db.prepare('SELECT postmortem_draft FROM incidents WHERE id = ?').pluck().get(incident) as string,
      /certificate expired at/,
      'a preview saves nothing',
    );
    const published = await submit(operator, pagePath, `${pagePath}/postmortem`, { body_draft: 'Root cause: **expired** certificate.', action: 'publish' });
    assert.equal(published.status, 303);
    assert.equal(status(), 'postmortem');
    assert.match((await request(p.app).get(`/incidents/${incident}`).expect(200)).text, /<strong>expired<\/strong>/);
    const empty = await submit(operator, pagePath, `${pagePath}/postmortem`, { body_draft: '', action: 'publish' });
    assert.equal(empty.status, 422);
    assert.match(empty.text, /no draft to publish/);
  });

  it('publishing again replaces the text in place; a reopened incident cannot be reverted; a newer draft survives a revert', async () => {
    const updates = () => p.ctx.db.prepare("SELECT COUNT(*) FROM incident_updates WHERE incident_id = ? AND status = 'postmortem'").pluck().get(incident);
    assert.equal(updates(), 1);
    await request(p.app)
      .put(pm())
      .set(auth())
      .send({ postmortem: { body_draft: 'Revised: two certificates expired.' } })
      .expect(200);
    const again = await request(p.app)
      .put(`${pm()}/publish`)
      .set(auth())
      .send({ postmortem: { notify_subscribers: true } })
      .expect(200);
    assert.equal((again.body as Postmortem).body, 'Revised: two certificates expired.');
    assert.equal(updates(), 1, 'no second update, no second mail');
    await request(p.app)
      .put(pm())
      .set(auth())
      .send({ postmortem: { body_draft: 'A newer draft.' } })
      .expect(200);
    const reverted = await request(p.app).put(`${pm()}/revert`).set(auth()).expect(200);
    assert.equal((reverted.body as Postmortem).body_draft, 'A newer draft.');
    // Published again, then the incident reopens: a revert would resolve it behind the operators' back.
    await request(p.app).put(`${pm()}/publish`).set(auth()).send({ postmortem: {} }).expect(200);
    patchIncident(p.ctx, system, incident, { status: 'investigating', body: 'It is back.' });
    await request(p.app).put(`${pm()}/revert`).set(auth()).expect(422);
    assert.equal(status(), 'investigating');
  });
});
