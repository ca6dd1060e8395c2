import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestPharos } from '../helpers/pharos.js';
import { arr } from '../helpers/statuspage.js';
import { apiV1World, checkComponent } from './api-v1-world.js';

/** The management API, in Statuspage's v1 shapes, through HTTP as automation uses it: components. */

describe('management API v1 (Statuspage compatible)', () => {
  const w = apiV1World();
  const { components, call, rejected, summary, componentStatus, v2Component } = w;
  let p: TestPharos;

  before(async () => {
    ({ p } = await w.start());
  });
  after(() => w.close());

  describe('components', () => {
    it('creates components with POST {"component": {...}} and lists them', async () => {
      const wanted: [string, string][] = [
        ['API', 'The REST API'],
        ['Web app', ''],
        ['Database', 'Primary cluster'],
      ];
      for (const [name, description] of wanted) {
        const res = await call('post', '/components', { component: { name, description, status: 'operational' } });
        assert.equal(res.status, 201, `create ${name}: ${res.text}`);
        const c = checkComponent(res.body, p.ctx.pageId, `created ${name}`);
        assert.equal(c.name, name);
        assert.equal(c.status, 'operational');
        assert.equal(c.description, description || null);
        components[name] = String(c.id);
      }
      const list = await call('get', '/components');
      assert.equal(list.status, 200);
      const items = arr(list.body, 'components').map((c, n) => checkComponent(c, p.ctx.pageId, `components[${n}]`));
      assert.deepEqual(
        items.map((c) => c.name),
        ['API', 'Web app', 'Database'],
      );
      const one = await call('get', `/components/${components.API}`);
      assert.equal(one.status, 200);
      assert.deepEqual(one.body, items[0]);
      await rejected(() => call('get', '/components/nope'), 404, 'GET an unknown component');
    });

    it('PATCH {"component": {"status"}} changes the status, and the v2 summary shows it', async () => {
      const id = components['Web app'] ?? '';
      const res = await call('patch', `/components/${id}`, { component: { status: 'degraded_performance' } });
      assert.equal(res.status, 200, res.text);
      const c = checkComponent(res.body, p.ctx.pageId, 'patched component');
      assert.equal(c.status, 'degraded_performance');
      assert.equal(c.name, 'Web app', 'other fields unchanged');
      assert.equal(await componentStatus(id), 'degraded_performance');
      assert.equal((await v2Component(id))?.status, 'degraded_performance');
      assert.deepEqual((await summary()).status, { indicator: 'minor', description: 'Minor Service Outage' });

      const back = await call('patch', `/components/${id}`, { component: { status: 'operational' } });
      assert.equal(back.status, 200);
      assert.equal((await v2Component(id))?.status, 'operational');
      assert.deepEqual((await summary()).status, { indicator: 'none', description: 'All Systems Operational' });
    });

    it('rejects bad component input, changing nothing', async () => {
      const id = components.API ?? '';
      await rejected(() => call('post', '/components', { component: { name: 5 } }), 422, 'component name 5', 'component.name');
      await rejected(() => call('post', '/components', { component: { name: 'X', status: 'on_fire' } }), 422, 'component status', 'component.status');
      await rejected(() => call('post', '/components', { name: 'No envelope' }), 422, 'component without envelope', 'component');
      await rejected(() => call('patch', `/components/${id}`, { component: { status: 'on_fire' } }), 422, 'PATCH component status', 'component.status');
      await rejected(() => call('patch', `/components/${id}`, { component: { name: '' } }), 422, 'PATCH component empty name', 'component.name');
      await rejected(() => call('patch', `/components/${id}`, { status: 'major_outage' }), 422, 'PATCH component without envelope', 'component');
      await rejected(() => call('patch', '/components/nope', { component: { status: 'major_outage' } }), 404, 'PATCH an unknown component');
    });
  });
});
