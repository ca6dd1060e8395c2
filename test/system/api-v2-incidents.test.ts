import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createIncident, patchIncident } from '../../server/domain/incidents/writes.js';
import type { Component } from '../../server/domain/page/components.js';
import type { TestPharos } from '../helpers/pharos.js';
import { arr, obj } from '../helpers/statuspage.js';
import { addComponents, apiV2World, checkBody, ENDPOINTS, system } from './api-v2-world.js';

/**
 * The public read API, checked field for field and enum for enum against Statuspage's v2: incidents, resolved
 * and open, on every endpoint, and the caching headers (CORS, ETag, 304) of the bodies that hold them.
 * The tests build on each other: one incident is resolved, then another is opened, then resolved.
 */

describe('public API v2 (Statuspage compatible)', () => {
  const w = apiV2World();
  const { get, json, status, incidentsOf } = w;
  let p: TestPharos;
  let api: Component;
  let web: Component;
  let email: Component;
  let resolvedId = '';
  let openId = '';

  before(async () => {
    p = await w.start();
    ({ api, web, email } = addComponents(p));
  });
  after(() => w.close());

  it('a critical incident makes the page critical; resolving it leaves unresolved.json but not incidents.json', async () => {
    const incident = createIncident(p.ctx, system, {
      name: 'Database failover',
      status: 'investigating',
      impact_override: 'critical',
      body: 'The primary database is unreachable.',
    });
    resolvedId = incident.id;
    assert.deepEqual(await status(), { indicator: 'critical', description: 'Major Service Outage' });
    const open = await incidentsOf('/api/v2/incidents/unresolved.json');
    assert.deepEqual(
      open.map((i) => i.id),
      [incident.id],
    );
    assert.equal(open[0]?.impact, 'critical');
    assert.equal(open[0]?.name, 'Database failover');
    assert.equal(open[0]?.resolved_at, null);
    const summary = await json('/api/v2/summary.json');
    assert.deepEqual(
      arr(summary.incidents, 'incidents').map((i) => obj(i, 'incident').id),
      [incident.id],
      'summary.json lists the unresolved incident',
    );

    p.clock.advance(30 * 60_000);
    patchIncident(p.ctx, system, incident.id, { status: 'resolved', body: 'Failover complete.' });
    assert.deepEqual(await status(), { indicator: 'none', description: 'All Systems Operational' });
    assert.deepEqual(await incidentsOf('/api/v2/incidents/unresolved.json'), []);
    assert.deepEqual(arr((await json('/api/v2/summary.json')).incidents, 'incidents'), [], 'summary.json lists only unresolved');
    const all = await incidentsOf('/api/v2/incidents.json');
    const resolved = all.find((i) => i.id === incident.id);
    assert.ok(resolved, 'incidents.json keeps the resolved incident');
    assert.equal(resolved.status, 'resolved');
    assert.equal(resolved.resolved_at, p.clock.now().toISOString());
    const updates = arr(resolved.incident_updates, 'updates').map((u) => obj(u, 'update'));
    assert.deepEqual(
      updates.map((u) => [u.status, u.body]),
      [
        ['resolved', 'Failover complete.'],
        ['investigating', 'The primary database is unreachable.'],
      ],
      'updates newest first',
    );
  });

  it('shows an open incident with its updates and affected components, in shape on every endpoint', async () => {
    p.clock.advance(60 * 60_000);
    const incident = createIncident(p.ctx, system, {
      name: 'Elevated API errors',
      status: 'investigating',
      body: 'We are looking into elevated error rates.',
      components: { [api.id]: 'partial_outage' },
      component_ids: [web.id, email.id],
      deliver_notifications: true,
    });
    openId = incident.id;
    p.clock.advance(10 * 60_000);
    patchIncident(p.ctx, system, incident.id, {
      status: 'identified',
      body: 'A bad deploy; rolling back.',
      components: { [web.id]: 'degraded_performance' },
      deliver_notifications: false,
    });
    p.clock.advance(10 * 60_000);
    patchIncident(p.ctx, system, incident.id, { status: 'monitoring', body: 'Rolled back; watching.' });

    for (const path of Object.keys(ENDPOINTS)) await json(path);

    assert.deepEqual(await status(), { indicator: 'major', description: 'Partial System Outage' });
    const [open] = await incidentsOf('/api/v2/incidents/unresolved.json');
    assert.ok(open);
    assert.equal(open.id, incident.id);
    assert.equal(open.status, 'monitoring');
    assert.equal(open.impact, 'major', 'impact from the worst component status the incident set');
    assert.equal(open.monitoring_at, p.clock.now().toISOString());
    assert.equal(open.resolved_at, null);
    const embedded = arr(open.components, 'components').map((c) => obj(c, 'component'));
    assert.deepEqual(embedded.map((c) => c.id).sort(), [api.id, web.id, email.id].sort());
    const updates = arr(open.incident_updates, 'updates').map((u) => obj(u, 'update'));
    assert.deepEqual(
      updates.map((u) => u.status),
      ['monitoring', 'identified', 'investigating'],
      'newest first',
    );
    assert.deepEqual(
      updates.map((u) => u.body),
      ['Rolled back; watching.', 'A bad deploy; rolling back.', 'We are looking into elevated error rates.'],
    );
    assert.equal(updates[0]?.affected_components, null, 'an update that changed no component has null');
    assert.deepEqual(updates[1]?.affected_components, [{ code: web.id, name: 'Web app', old_status: 'operational', new_status: 'degraded_performance' }]);
    assert.deepEqual(updates[2]?.affected_components, [{ code: api.id, name: 'API', old_status: 'operational', new_status: 'partial_outage' }]);
    assert.deepEqual(
      updates.map((u) => u.deliver_notifications),
      [true, false, true],
    );
    assert.deepEqual(
      updates.map((u) => u.custom_tweet),
      [null, null, null],
    );

    const all = await incidentsOf('/api/v2/incidents.json');
    assert.deepEqual(
      all.map((i) => i.id),
      [incident.id, resolvedId],
      'incidents.json: open and resolved, newest first',
    );
    const summary = await json('/api/v2/summary.json');
    assert.deepEqual(summary.incidents, (await json('/api/v2/incidents/unresolved.json')).incidents, 'summary.json incidents are the unresolved ones');
    assert.deepEqual(summary.status, (await json('/api/v2/status.json')).status);
    assert.deepEqual(summary.components, (await json('/api/v2/components.json')).components);
  });

  it("embeds an incident's components exactly as components.json lists them (position included)", async () => {
    const listed = arr((await json('/api/v2/components.json')).components, 'components').map((c) => obj(c, 'component'));
    for (const path of ['/api/v2/incidents/unresolved.json', '/api/v2/summary.json', '/api/v2/incidents.json']) {
      const open = (await incidentsOf(path)).find((i) => i.id === openId);
      assert.ok(open, `${path} lists the open incident`);
      const embedded = arr(open.components, 'components').map((c) => obj(c, 'component'));
      assert.ok(
        embedded.some((c) => c.id === email.id),
        'the grouped component is among them',
      );
      for (const c of embedded) {
        assert.deepEqual(
          c,
          listed.find((l) => l.id === c.id),
          `${path}: incident component ${String(c.name)} is the one in components.json`,
        );
      }
    }
  });

  it('sends Access-Control-Allow-Origin: * and an ETag on every GET, and 304 to If-None-Match', async () => {
    for (const path of Object.keys(ENDPOINTS)) {
      const first = await get(path);
      assert.equal(first.status, 200);
      assert.equal(first.headers['access-control-allow-origin'], '*', `${path}: CORS`);
      const etag = first.headers.etag;
      assert.ok(typeof etag === 'string' && etag.length > 2, `${path}: an ETag`);
      const again = await get(path);
      assert.equal(again.headers.etag, etag, `${path}: the same body has the same ETag`);
      assert.equal(again.text, first.text);

      const cached = await request(p.app).get(path).set('If-None-Match', etag);
      assert.equal(cached.status, 304, `${path}: If-None-Match answers 304`);
      assert.ok(!cached.text, `${path}: a 304 has no body`);
      assert.ok(cached.headers['content-length'] === undefined || cached.headers['content-length'] === '0');
      assert.equal(cached.headers['access-control-allow-origin'], '*', `${path}: CORS on 304`);

      const stale = await request(p.app).get(path).set('If-None-Match', '"something-else"');
      assert.equal(stale.status, 200, `${path}: another ETag gets the body`);
      assert.equal(stale.text, first.text);
    }
  });

  it('changes the ETag after a change', async () => {
    const before = new Map<string, { etag: string; text: string }>();
    for (const path of Object.keys(ENDPOINTS)) {
      const res = await get(path);
      before.set(path, { etag: String(res.headers.etag), text: res.text });
    }
    p.clock.advance(5 * 60_000);
    patchIncident(p.ctx, system, openId, { status: 'resolved', body: 'All clear.' });
    for (const path of Object.keys(ENDPOINTS)) {
      const was = before.get(path);
      assert.ok(was);
      const res = await request(p.app).get(path).set('If-None-Match', was.etag);
      assert.equal(res.status, 200, `${path}: the old ETag no longer matches after a change`);
      assert.notEqual(res.headers.etag, was.etag, `${path}: a new ETag`);
      assert.notEqual(res.text, was.text);
      checkBody(path, JSON.parse(res.text) as unknown, p.ctx.pageId);
    }
    const page = obj((await json('/api/v2/status.json')).page, 'page');
    assert.equal(page.updated_at, p.clock.now().toISOString(), 'page.updated_at is the time of the last change');
    assert.deepEqual(await status(), { indicator: 'none', description: 'All Systems Operational' });
  });
});
