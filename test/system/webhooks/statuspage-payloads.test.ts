import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createIncident, patchIncident } from '../../../server/domain/incidents/writes.js';
import { scheduleMaintenance } from '../../../server/domain/incidents/maintenance.js';
import { createWebhook } from '../../../server/domain/subscribers/endpoints.js';
import { submit } from '../../helpers/pharos.js';
import { verifySignature, type Received } from '../../helpers/receiver.js';
import { deliveriesTo, drainHooks, startWorld, stopWorld, system, type World } from './world.js';

const sorted = (o: unknown) => Object.keys(o as object).sort();

/** Webhook subscribers added in the admin get Statuspage's payloads, signed, through the outbox. */
describe('webhook subscribers: Statuspage payloads, signed', () => {
  let w: World;
  let secret: string;
  let id: string;
  before(async () => {
    w = await startWorld();
    const res = await submit(w.admin, '/admin/subscribers/webhooks', '/admin/subscribers/webhooks', {
      endpoint: w.receiver.url('/pharos'),
      email: 'ops@example.com',
      component_ids: [w.api],
    });
    assert.equal(res.status, 200, res.text.slice(0, 300));
    secret = /<code class="secret">(whsec_[\w-]+)<\/code>/.exec(res.text)?.[1] ?? '';
    assert.ok(secret, 'the signing secret is shown once');
    id = String(w.p.ctx.db.prepare("SELECT id FROM endpoints WHERE kind = 'webhook'").pluck().get());
  });
  after(() => stopWorld(w));

  const now = () => Math.floor(w.p.clock.now().getTime() / 1000);
  const of = (kind: 'incident' | 'component') => w.receiver.received.filter((r) => (r.body as Record<string, unknown>)[kind] !== undefined);

  it('the list shows the webhook as private, never its secret again', async () => {
    const list = (await w.admin.get('/admin/subscribers/webhooks').expect(200)).text;
    assert.match(list, /<code>http:\/\/127\.0\.0\.1:\d+\/pharos<\/code> <span class="tag">private address<\/span>/);
    assert.doesNotMatch(list, /whsec_/);
  });

  it('an incident on its component: the incident payload and a component_update, each signed, with a delivery id', async () => {
    const incident = createIncident(w.p.ctx, system, { name: 'Login failures', body: 'We are looking into it.', components: { [w.api]: 'major_outage' } });
    await drainHooks(w.p);
    await w.receiver.until(() => of('incident').length === 1 && of('component').length === 1);
    for (const r of w.receiver.received) {
      assert.equal(r.headers['content-type'], 'application/json');
      assert.ok(verifySignature(secret, r.headers['x-pharos-signature'], r.raw, now()), 'signature verifies');
      assert.ok(!verifySignature('whsec_wrong', r.headers['x-pharos-signature'], r.raw, now()), 'not with another secret');
      assert.match(String(r.headers['x-pharos-delivery']), /^[0-9a-f]{32}$/);
    }
    const inc = of('incident')[0] as Received;
    const body = inc.body as { meta: Record<string, string>; page: Record<string, string>; incident: Record<string, unknown> };
    assert.deepEqual(sorted(body), ['incident', 'meta', 'page']);
    assert.deepEqual(sorted(body.meta), ['documentation', 'generated_at', 'unsubscribe']);
    assert.match(body.meta.unsubscribe ?? '', /\/webhooks\/unsubscribe\/[a-z0-9]+\.[\w-]{43}$/);
    const { default: request } = await import('supertest');
    const docs = await request(w.p.app)
      .get(new URL(body.meta.documentation ?? '').pathname)
      .expect(200);
    assert.match(docs.text, /X-Pharos-Signature/);
    assert.deepEqual(body.page, { id: w.p.ctx.pageId, status_indicator: 'critical', status_description: 'Major Service Outage' });
    assert.equal(body.incident.id, incident.id);
    assert.equal(body.incident.name, 'Login failures');
    assert.equal(body.incident.status, 'investigating');
    assert.equal(body.incident.impact, 'critical');
    assert.match(String(body.incident.shortlink), new RegExp(`/incidents/${incident.id}$`));
    const updates = body.incident.incident_updates as { body: string; status: string; affected_components: { code: string; new_status: string }[] }[];
    assert.equal(updates.length, 1);
    assert.equal(updates[0]?.body, 'We are looking into it.');
    assert.deepEqual(
      (body.incident.components as { id: string; status: string }[]).map((c) => [c.id, c.status]),
      [[w.api, 'major_outage']],
    );
    const comp = (of('component')[0] as Received).body as { component: Record<string, unknown>; component_update: Record<string, unknown> };
    assert.deepEqual(sorted(comp), ['component', 'component_update', 'meta', 'page']);
    assert.deepEqual(sorted(comp.component), [
      'created_at',
      'description',
      'group_id',
      'id',
      'name',
      'page_id',
      'position',
      'showcase',
      'status',
      'updated_at',
    ]);
    assert.equal(comp.component.status, 'major_outage');
    assert.equal(comp.component.name, 'API');
    assert.deepEqual(
      { ...comp.component_update, id: undefined, created_at: undefined },
      { old_status: 'operational', new_status: 'major_outage', component_type: 'Component', component_id: w.api, id: undefined, created_at: undefined },
    );
    assert.deepEqual(
      deliveriesTo(w.p, id).map((d) => [d.kind, d.state, d.smtp_response]),
      [
        ['component_update', 'sent', 'HTTP 200'],
        ['incident_update', 'sent', 'HTTP 200'],
      ],
    );

    // The next update: the payload is the incident as of that update (two updates, the new status).
    w.p.clock.advance(60_000);
    patchIncident(w.p.ctx, system, incident.id, { status: 'identified', body: 'A bad deploy.' });
    await drainHooks(w.p);
    await w.receiver.until(() => of('incident').length === 2);
    const second = (of('incident')[1] as Received).body as { incident: { status: string; incident_updates: unknown[] } };
    assert.equal(second.incident.status, 'identified');
    assert.equal(second.incident.incident_updates.length, 2);
  });

  it('nothing for an incident on a component it did not choose; maintenance comes in the incident shape with its window', async () => {
    const before = w.receiver.received.length;
    createIncident(w.p.ctx, system, { name: 'Slow pages', components: { [w.web]: 'degraded_performance' } });
    scheduleMaintenance(w.p.ctx, system, {
      name: 'Database upgrade',
      component_ids: [w.api],
      scheduled_for: '2026-12-03T02:00:00Z',
      scheduled_until: '2026-12-03T04:00:00Z',
    });
    await drainHooks(w.p);
    await w.receiver.until(() => w.receiver.received.length > before);
    await new Promise((r) => setTimeout(r, 100));
    const got = w.receiver.received.slice(before).map((r) => (r.body as { incident?: { name: string; scheduled_for?: string; status: string } }).incident);
    assert.equal(got.length, 1, 'one message: the maintenance on API, nothing about the web app');
    assert.equal(got[0]?.name, 'Database upgrade');
    assert.equal(got[0]?.status, 'scheduled');
    assert.equal(got[0]?.scheduled_for, '2026-12-03T02:00:00.000Z');
  });

  it('an older update still being retried after a newer one was delivered is dropped as superseded, not sent late', async () => {
    const order = (await createWebhook(w.p.ctx, system, { endpoint: w.receiver.url('/order'), email: 'ops@example.com' }, 'admin')).endpoint.id;
    let first = true;
    w.receiver.answer = (_n, r) => {
      if (r.path !== '/order') return { status: 200 };
      const was = first;
      first = false;
      return { status: was ? 500 : 200 };
    };
    const incident = createIncident(w.p.ctx, system, { name: 'Ordering', body: 'First.', components: {} });
    await drainHooks(w.p);
    w.p.clock.advance(10_000);
    patchIncident(w.p.ctx, system, incident.id, { status: 'resolved', body: 'Second.' });
    await drainHooks(w.p);
    w.p.clock.advance(5 * 60_000);
    await drainHooks(w.p);
    const got = w.receiver.received.filter((r) => r.path === '/order').map((r) => (r.body as { incident: { status: string } }).incident.status);
    assert.deepEqual(got, ['investigating', 'resolved'], 'the failed first attempt, then the resolution; never the first again after it');
    const rows = deliveriesTo(w.p, order).filter((d) => d.kind === 'incident_update');
    assert.deepEqual(
      rows.map((d) => [d.state, d.last_error]),
      [
        ['failed', 'Superseded: a later update of this incident was delivered already'],
        ['sent', null],
      ],
    );
    w.receiver.answer = () => ({ status: 200 });
  });

  it('the unsubscribe link in meta removes the webhook', async () => {
    const link = ((of('incident')[0] as Received).body as { meta: { unsubscribe: string } }).meta.unsubscribe;
    const path = new URL(link).pathname;
    const { default: request } = await import('supertest');
    const page = await request(w.p.app).get(path).expect(200);
    assert.match(page.text, /<form method="post"/);
    await request(w.p.app).post(path).expect(200);
    assert.equal(w.p.ctx.db.prepare('SELECT COUNT(*) FROM endpoints WHERE id = ?').pluck().get(id), 0);
    await request(w.p.app).post(path).expect(404);
  });
});
