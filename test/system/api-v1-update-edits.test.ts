import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { TestPharos } from '../helpers/pharos.js';
import { arr, exactKeys, isoTime, obj, UPDATE_KEYS } from '../helpers/statuspage.js';
import { apiV1World, checkIncident } from './api-v1-world.js';

/**
 * `PATCH /incidents/:id/incident_updates/:update_id` with Statuspage's `{"incident_update": {...}}`: an
 * update's text, display time and notification flag edited afterwards, through the one write path (the
 * page follows at once, the audit log keeps the update before and after), notifying nobody.
 */
describe('management API v1: editing an incident update', () => {
  const w = apiV1World();
  const { call, rejected, track } = w;
  let p: TestPharos;
  let key = '';
  let base = '';
  let incidentId = '';
  let first = '';
  let second = '';

  before(async () => {
    ({ p, key, base } = await w.start());
    await w.addComponents();
    const created = await call('post', '/incidents', { incident: { name: 'Checkout errors', body: 'We are looking.', deliver_notifications: true } });
    incidentId = String(obj(created.body, 'created').id);
    p.clock.advance(10 * 60_000);
    const patched = await call('patch', `/incidents/${incidentId}`, {
      incident: { status: 'identified', body: 'Found it: a bad deploy.', deliver_notifications: false },
    });
    const updates = arr(obj(patched.body, 'patched').incident_updates, 'updates').map((u) => obj(u, 'update'));
    second = String(updates[0]?.id);
    first = String(updates[1]?.id);
  });
  after(() => w.close());

  const updatesOf = async () => arr(obj((await call('get', `/incidents/${incidentId}`)).body, 'incident').incident_updates, 'updates').map((u) => obj(u, 'u'));
  const deliveries = () => p.ctx.db.prepare('SELECT COUNT(*) FROM deliveries').pluck().get() as number;

  it('edits the body and answers the update in Statuspage shape; the page and the v2 API show it at once', async () => {
    const before = deliveries();
    const changes: string[] = [];
    const off = p.ctx.bus.on('page.changed', (e) => changes.push(e.cause));
    p.clock.advance(60_000);
    const res = await call('patch', `/incidents/${incidentId}/incident_updates/${second}`, {
      incident_update: { body: 'Found it: a bad deploy of the payment service.', wants_twitter_update: false },
    });
    off();
    assert.equal(res.status, 200, res.text);
    const u = obj(res.body, 'update');
    exactKeys(u, UPDATE_KEYS, 'update');
    assert.equal(u.id, second);
    assert.equal(u.incident_id, incidentId);
    assert.equal(u.body, 'Found it: a bad deploy of the payment service.');
    assert.equal(u.status, 'identified');
    assert.equal(isoTime(u.updated_at, 'updated_at'), p.clock.now().toISOString());
    assert.deepEqual(changes, ['incident.update_edited'], 'one change through the write path');
    assert.equal(deliveries(), before, 'an edit notifies nobody');
    const v2 = arr(obj((await request(p.app).get('/api/v2/incidents.json').expect(200)).body, 'v2').incidents, 'incidents').map((i) => obj(i, 'i'));
    const shown = v2.find((i) => i.id === incidentId);
    assert.equal(obj(arr(shown?.incident_updates, 'u')[0], 'newest').body, 'Found it: a bad deploy of the payment service.');
    assert.match((await request(p.app).get(`/incidents/${incidentId}`).expect(200)).text, /a bad deploy of the payment service/);
    const audit = p.ctx.db.prepare("SELECT actor, detail FROM audit_log WHERE action = 'incident.update_edited'").all() as { actor: string; detail: string }[];
    assert.equal(audit.length, 1);
    assert.match(audit[0]?.actor ?? '', /automation/);
    assert.match(audit[0]?.detail ?? '', /Found it: a bad deploy\.".*Found it: a bad deploy of the payment service\./s, 'before and after');
  });

  it('moves an update with display_at (the timeline reorders) and records deliver_notifications, with PUT and .json', async () => {
    const earlier = '2026-11-30T09:00:00.000Z';
    const res = await call('put', `/incidents/${incidentId}/incident_updates/${second}.json`, {
      incident_update: { display_at: '2026-11-30T10:00:00+01:00', deliver_notifications: true },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(obj(res.body, 'update').display_at, earlier, 'normalised to UTC');
    assert.equal(obj(res.body, 'update').deliver_notifications, true);
    assert.equal(obj(res.body, 'update').body, 'Found it: a bad deploy of the payment service.', 'what is left out stays');
    const updates = await updatesOf();
    assert.deepEqual(
      updates.map((u) => u.id),
      [first, second],
      'newest display_at first',
    );
    checkIncident((await call('get', `/incidents/${incidentId}`)).body, p.ctx.pageId, 'incident');
    assert.equal(obj((await call('get', `/incidents/${incidentId}`)).body, 'incident').status, 'identified', 'the status is the incident’s, not moved');
  });

  it('takes a form-encoded edit the same way', async () => {
    const res = track(
      'form edit',
      await request(p.app)
        .patch(`${base}/incidents/${incidentId}/incident_updates/${first}.json`)
        .set('Authorization', `OAuth ${key}`)
        .type('form')
        .send('incident_update[body]=We are looking into it.&incident_update[deliver_notifications]=false&incident_update[display_at]=2026-11-30T10:00:00Z'),
    );
    assert.equal(res.status, 200, res.text);
    const u = obj(res.body, 'update');
    assert.equal(u.body, 'We are looking into it.');
    assert.equal(u.deliver_notifications, false);
    assert.equal(u.display_at, '2026-11-30T10:00:00.000Z');
  });

  it('refuses bad edits with the field named inside the envelope, and unknown ids with 404, changing nothing', async () => {
    const path = `/incidents/${incidentId}/incident_updates/${first}`;
    await rejected(() => call('patch', path, { incident_update: { display_at: 'yesterday' } }), 422, 'display_at', 'incident_update.display_at');
    await rejected(() => call('patch', path, { incident_update: { display_at: '2026-02-30T10:00:00Z' } }), 422, 'no such day', 'incident_update.display_at');
    await rejected(() => call('patch', path, { incident_update: { deliver_notifications: 'no' } }), 422, 'flag', 'incident_update.deliver_notifications');
    await rejected(() => call('patch', path, { incident_update: { body: 'x'.repeat(20_001) } }), 422, 'long body', 'incident_update.body');
    await rejected(() => call('patch', path, { incident_update: { body: 'ok', display_at: 5 } }), 422, 'half bad', 'incident_update.display_at');
    await rejected(() => call('patch', path, { body: 'no envelope' }), 422, 'no envelope', 'incident_update');
    await rejected(() => call('patch', `/incidents/${incidentId}/incident_updates/nope`, { incident_update: { body: 'x' } }), 404, 'unknown update');
    await rejected(() => call('patch', `/incidents/nope/incident_updates/${first}`, { incident_update: { body: 'x' } }), 404, 'unknown incident');
    const other = String(obj((await call('post', '/incidents', { incident: { name: 'Other', deliver_notifications: false } })).body, 'o').id);
    await rejected(() => call('patch', `/incidents/${other}/incident_updates/${first}`, { incident_update: { body: 'x' } }), 404, "another incident's update");
    await rejected(() => call('patch', path, { incident_update: { body: 'no key' } }, null), 401, 'no key');
  });
});
