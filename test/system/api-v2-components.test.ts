import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createGroup, type ComponentGroup } from '../../server/domain/page/groups.js';
import type { ComponentStatus } from '../../server/domain/page/status.js';
import { createComponent, updateComponent, type Component } from '../../server/domain/page/components.js';
import type { TestPharos } from '../helpers/pharos.js';
import { arr, obj } from '../helpers/statuspage.js';
import { apiV2World, ENDPOINTS, system } from './api-v2-world.js';

/**
 * The public read API, checked field for field and enum for enum against Statuspage's v2: an empty page,
 * then the components and groups added to it and the status they make. The tests build on each other.
 */

describe('public API v2 (Statuspage compatible)', () => {
  const w = apiV2World();
  const { json, status } = w;
  let p: TestPharos;
  let group: ComponentGroup;
  let api: Component;
  let web: Component;
  let email: Component;

  before(async () => {
    p = await w.start();
  });
  after(() => w.close());

  it('serves every endpoint, in shape, on an empty page', async () => {
    for (const path of Object.keys(ENDPOINTS)) {
      const body = await json(path);
      if ('components' in body) assert.deepEqual(body.components, []);
      if ('incidents' in body) assert.deepEqual(body.incidents, []);
      if ('scheduled_maintenances' in body) assert.deepEqual(body.scheduled_maintenances, []);
    }
    assert.deepEqual(await status(), { indicator: 'none', description: 'All Systems Operational' });
  });

  it('lists groups and components, a group naming its children', async () => {
    api = createComponent(p.ctx, system, { name: 'API', description: 'The REST API' });
    web = createComponent(p.ctx, system, { name: 'Web app' });
    group = createGroup(p.ctx, system, { name: 'Messaging', description: 'Outbound mail' });
    email = createComponent(p.ctx, system, { name: 'Email delivery', group_id: group.id });

    for (const path of ['/api/v2/summary.json', '/api/v2/components.json']) {
      const list = arr((await json(path)).components, 'components').map((c) => obj(c, 'component'));
      assert.deepEqual(
        list.map((c) => c.id),
        [api.id, web.id, group.id, email.id],
        `${path}: page order, a group followed by its children`,
      );
      const [a, w, g, e] = list;
      assert.ok(a && w && g && e);
      assert.equal(a.name, 'API');
      assert.equal(a.description, 'The REST API');
      assert.equal(w.description, null, 'no description is null, as Statuspage sends it');
      assert.equal(a.status, 'operational');
      assert.equal(a.group, false);
      assert.equal(a.group_id, null);
      assert.equal(g.group, true);
      assert.equal(g.name, 'Messaging');
      assert.deepEqual(g.components, [email.id]);
      assert.equal(e.group, false);
      assert.equal(e.group_id, group.id);
      assert.ok(!('components' in a) && !('components' in e), 'only groups list components');
      assert.deepEqual(
        list.map((c) => c.position),
        [...list.map((c) => c.position)].sort((x, y) => Number(x) - Number(y)),
        'positions follow the list order',
      );
    }
    assert.deepEqual(await status(), { indicator: 'none', description: 'All Systems Operational' });
  });

  it('derives the indicator and description from component statuses', async () => {
    const cases: [ComponentStatus, string, string][] = [
      ['degraded_performance', 'minor', 'Minor Service Outage'],
      ['partial_outage', 'major', 'Partial System Outage'],
      ['major_outage', 'critical', 'Major Service Outage'],
      ['operational', 'none', 'All Systems Operational'],
    ];
    for (const [componentStatus, indicator, description] of cases) {
      updateComponent(p.ctx, system, web.id, { status: componentStatus });
      assert.deepEqual(await status(), { indicator, description }, `a ${componentStatus} component`);
      const summary = await json('/api/v2/summary.json');
      assert.deepEqual(summary.status, { indicator, description }, `summary.json agrees for ${componentStatus}`);
      const shown = arr(summary.components, 'components')
        .map((c) => obj(c, 'component'))
        .find((c) => c.id === web.id);
      assert.equal(shown?.status, componentStatus);
    }
    // A grouped component counts too, and its group shows it.
    updateComponent(p.ctx, system, email.id, { status: 'partial_outage' });
    assert.deepEqual(await status(), { indicator: 'major', description: 'Partial System Outage' });
    const list = arr((await json('/api/v2/components.json')).components, 'components').map((c) => obj(c, 'component'));
    assert.equal(list.find((c) => c.id === email.id)?.status, 'partial_outage');
    assert.notEqual(list.find((c) => c.id === group.id)?.status, 'operational', 'a group with an outage is not operational');
    updateComponent(p.ctx, system, email.id, { status: 'operational' });
    assert.deepEqual(await status(), { indicator: 'none', description: 'All Systems Operational' });
  });
});
