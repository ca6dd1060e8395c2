import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { TestPharos } from '../helpers/pharos.js';
import { arr, obj, type Json } from '../helpers/statuspage.js';
import { apiV1World, checkIncident } from './api-v1-world.js';

/**
 * The management API, in Statuspage's v1 shapes, through HTTP as automation uses it: one incident's life,
 * from POST through PATCHes to DELETE, on the components API, Web app and Database.
 */

describe('management API v1 (Statuspage compatible)', () => {
  const w = apiV1World();
  const { components, call, count, rejected, summary, componentStatus, v2Component } = w;
  let p: TestPharos;
  let incidentId = '';

  before(async () => {
    ({ p } = await w.start());
    await w.addComponents();
  });
  after(() => w.close());

  describe('incidents', () => {
    it('creates an incident with POST {"incident": {...}} → 201 and the incident', async () => {
      const api = components.API ?? '';
      const web = components['Web app'] ?? '';
      const db = components.Database ?? '';
      const res = await call('post', '/incidents', {
        incident: {
          name: 'Elevated API errors',
          status: 'investigating',
          impact_override: 'major',
          body: 'We are investigating elevated error rates.',
          component_ids: [api, web, db],
          components: { [api]: 'major_outage' },
          deliver_notifications: true,
        },
      });
      assert.equal(res.status, 201, res.text);
      const i = checkIncident(res.body, p.ctx.pageId, 'created incident');
      incidentId = String(i.id);
      assert.equal(i.name, 'Elevated API errors');
      assert.equal(i.status, 'investigating');
      assert.equal(i.impact, 'major');
      assert.equal(i.resolved_at, null);
      assert.deepEqual(
        arr(i.components, 'components')
          .map((c) => obj(c, 'c').id)
          .sort(),
        [api, web, db].sort(),
      );
      const updates = arr(i.incident_updates, 'updates').map((u) => obj(u, 'update'));
      assert.equal(updates.length, 1);
      assert.equal(updates[0]?.status, 'investigating');
      assert.equal(updates[0]?.body, 'We are investigating elevated error rates.');
      assert.equal(updates[0]?.deliver_notifications, true);
      assert.deepEqual(updates[0]?.affected_components, [{ code: api, name: 'API', old_status: 'operational', new_status: 'major_outage' }]);

      assert.equal(await componentStatus(api), 'major_outage');
      assert.equal((await v2Component(api))?.status, 'major_outage');
      const s = await summary();
      assert.deepEqual(
        arr(s.incidents, 'incidents').map((x) => obj(x, 'incident').id),
        [incidentId],
      );
      assert.deepEqual(s.status, { indicator: 'critical', description: 'Major Service Outage' });
    });

    it('GET lists incidents (an array) and GET one returns it', async () => {
      const list = await call('get', '/incidents');
      assert.equal(list.status, 200);
      const items = arr(list.body, 'incidents').map((i, n) => checkIncident(i, p.ctx.pageId, `incidents[${n}]`));
      assert.deepEqual(
        items.map((i) => i.id),
        [incidentId],
      );
      const one = await call('get', `/incidents/${incidentId}`);
      assert.equal(one.status, 200);
      assert.deepEqual(one.body, items[0]);
      await rejected(() => call('get', '/incidents/nope'), 404, 'GET an unknown incident');
    });

    it('PATCH with status and body adds an update (newest first) and changes component statuses', async () => {
      const web = components['Web app'] ?? '';
      p.clock.advance(15 * 60_000);
      const res = await call('patch', `/incidents/${incidentId}`, {
        incident: { status: 'identified', body: 'A bad deploy; rolling back.', components: { [web]: 'partial_outage' } },
      });
      assert.equal(res.status, 200, res.text);
      const i = checkIncident(res.body, p.ctx.pageId, 'patched incident');
      assert.equal(i.status, 'identified');
      const updates = arr(i.incident_updates, 'updates').map((u) => obj(u, 'update'));
      assert.deepEqual(
        updates.map((u) => [u.status, u.body]),
        [
          ['identified', 'A bad deploy; rolling back.'],
          ['investigating', 'We are investigating elevated error rates.'],
        ],
      );
      assert.deepEqual(updates[0]?.affected_components, [{ code: web, name: 'Web app', old_status: 'operational', new_status: 'partial_outage' }]);
      assert.equal(await componentStatus(web), 'partial_outage');
      assert.equal((await v2Component(web))?.status, 'partial_outage');
      assert.deepEqual((await call('get', `/incidents/${incidentId}`)).body, res.body);

      p.clock.advance(5 * 60_000);
      const bodyOnly = await call('patch', `/incidents/${incidentId}`, { incident: { body: 'Rollback half done.' } });
      assert.equal(bodyOnly.status, 200, bodyOnly.text);
      const b = checkIncident(bodyOnly.body, p.ctx.pageId, 'body only');
      assert.equal(b.status, 'identified', 'a body alone keeps the status');
      assert.deepEqual(
        arr(b.incident_updates, 'updates').map((u) => [obj(u, 'u').status, obj(u, 'u').body]),
        [
          ['identified', 'Rollback half done.'],
          ['identified', 'A bad deploy; rolling back.'],
          ['investigating', 'We are investigating elevated error rates.'],
        ],
      );

      p.clock.advance(10 * 60_000);
      const monitoring = await call('patch', `/incidents/${incidentId}`, { incident: { status: 'monitoring', body: 'Rolled back.' } });
      assert.equal(monitoring.status, 200);
      const m = checkIncident(monitoring.body, p.ctx.pageId, 'monitoring');
      assert.equal(m.monitoring_at, p.clock.now().toISOString());
      assert.deepEqual(
        arr(m.incident_updates, 'updates').map((u) => obj(u, 'update').status),
        ['monitoring', 'identified', 'identified', 'investigating'],
      );
    });

    it('PATCH with only a name edits the name without adding an update', async () => {
      const before = obj((await call('get', `/incidents/${incidentId}`)).body, 'before');
      const res = await call('patch', `/incidents/${incidentId}`, { incident: { name: 'Elevated API error rates' } });
      assert.equal(res.status, 200, res.text);
      const i = checkIncident(res.body, p.ctx.pageId, 'renamed');
      assert.equal(i.name, 'Elevated API error rates');
      assert.equal(i.status, before.status);
      assert.deepEqual(i.incident_updates, before.incident_updates, 'no update added');
      assert.equal(arr((await summary()).incidents, 'incidents').map((x) => obj(x, 'incident').name)[0], 'Elevated API error rates');
    });

    it('PATCH to resolved returns affected components to operational unless the body sets them', async () => {
      const api = components.API ?? '';
      const web = components['Web app'] ?? '';
      const db = components.Database ?? '';
      p.clock.advance(30 * 60_000);
      const res = await call('patch', `/incidents/${incidentId}`, {
        incident: { status: 'resolved', body: 'All clear.', components: { [web]: 'degraded_performance' } },
      });
      assert.equal(res.status, 200, res.text);
      const i = checkIncident(res.body, p.ctx.pageId, 'resolved');
      assert.equal(i.status, 'resolved');
      assert.equal(i.resolved_at, p.clock.now().toISOString());
      const newest = obj(arr(i.incident_updates, 'updates')[0], 'newest');
      assert.equal(newest.status, 'resolved');
      assert.equal(newest.body, 'All clear.');
      const affected = arr(newest.affected_components, 'affected').map((a) => obj(a, 'a'));
      assert.deepEqual(
        affected.sort((a, b) => String(a.code).localeCompare(String(b.code))),
        [
          { code: api, name: 'API', old_status: 'major_outage', new_status: 'operational' },
          { code: web, name: 'Web app', old_status: 'partial_outage', new_status: 'degraded_performance' },
        ].sort((a, b) => a.code.localeCompare(b.code)),
      );
      const statuses: Record<string, unknown> = Object.fromEntries(
        arr((await call('get', '/components')).body as unknown, 'components').map((c): [string, unknown] => [String(obj(c, 'c').id), obj(c, 'c').status]),
      );
      assert.deepEqual(statuses, { [api]: 'operational', [web]: 'degraded_performance', [db]: 'operational' });
      const s = await summary();
      assert.deepEqual(s.incidents, [], 'a resolved incident leaves the summary');
      assert.deepEqual(s.status, { indicator: 'minor', description: 'Minor Service Outage' });
      const all = JSON.parse((await request(p.app).get('/api/v2/incidents.json').expect(200)).text) as { incidents: Json[] };
      assert.ok(
        all.incidents.some((x) => x.id === incidentId),
        'but stays in incidents.json',
      );

      await call('patch', `/components/${web}`, { component: { status: 'operational' } });
    });

    it('DELETE removes the incident; GET is then 404', async () => {
      const res = await call('delete', `/incidents/${incidentId}`);
      assert.ok(res.status === 200 || res.status === 204, `DELETE answers 200 or 204, got ${res.status}`);
      if (res.status === 200) assert.equal(checkIncident(res.body, p.ctx.pageId, 'deleted').id, incidentId);
      await rejected(() => call('get', `/incidents/${incidentId}`), 404, 'GET a deleted incident');
      assert.deepEqual((await call('get', '/incidents')).body, []);
      assert.equal(count('incidents'), 0);
      assert.equal(count('incident_updates'), 0);
      await rejected(() => call('delete', `/incidents/${incidentId}`), 404, 'DELETE it again');
      await rejected(() => call('patch', `/incidents/${incidentId}`, { incident: { status: 'resolved' } }), 404, 'PATCH a deleted incident');
    });

    it('ignores unknown extra fields (201)', async () => {
      const res = await call('post', '/incidents', {
        incident: { name: 'Extra fields', status: 'investigating', body: 'Hi.', postmortem_body: 'x', scheduled_for: null, foo: { bar: 1 } },
        extra: true,
      });
      assert.equal(res.status, 201, res.text);
      const i = checkIncident(res.body, p.ctx.pageId, 'with extras');
      assert.equal(i.name, 'Extra fields');
      incidentId = String(i.id);
    });
  });
});
