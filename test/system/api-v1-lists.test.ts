import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { patchMaintenance, scheduleMaintenance } from '../../server/domain/incidents/maintenance.js';
import { createIncident, patchIncident } from '../../server/domain/incidents/writes.js';
import type { TestPharos } from '../helpers/pharos.js';
import { arr, obj } from '../helpers/statuspage.js';
import { apiV1World, checkComponent, checkIncident } from './api-v1-world.js';

const system = { type: 'system' } as const;
const HOUR = 3_600_000;

/**
 * The v1 incident lists as Statuspage's automation reads them: all incidents (searched with `q`), the
 * unresolved, and the maintenance windows scheduled, upcoming and active; paged with `page` and
 * `per_page` (or `limit`), at most 100 a page; every incident with its components as full objects.
 */
describe('management API v1: incident lists', () => {
  const w = apiV1World();
  const { components, call, rejected } = w;
  let p: TestPharos;
  const ids: Record<string, string> = {};

  before(async () => {
    ({ p } = await w.start());
    await w.addComponents();
    const api = components.API ?? '';
    const db = components.Database ?? '';
    const quiet = { deliver_notifications: false } as const;
    // 103 old resolved incidents, then the named ones, an hour apart, newest last.
    for (let n = 0; n < 103; n++) {
      p.clock.advance(60_000);
      const i = createIncident(p.ctx, system, { name: `Old incident ${n}`, status: 'resolved', ...quiet });
      ids[`old${n}`] = i.id;
    }
    p.clock.advance(HOUR);
    ids.login = createIncident(p.ctx, system, { name: 'Login failures', components: { [api]: 'partial_outage' }, ...quiet }).id;
    patchIncident(p.ctx, system, ids.login, { status: 'identified', body: 'A bad certificate (100% of EU logins).', ...quiet });
    p.clock.advance(HOUR);
    ids.slow = createIncident(p.ctx, system, { name: 'Slow queries', status: 'monitoring', components: { [db]: 'degraded_performance' }, ...quiet }).id;
    p.clock.advance(HOUR);
    ids.fixed = createIncident(p.ctx, system, { name: 'Fixed DNS', status: 'resolved', body: 'Resolved already.', ...quiet }).id;
    const window = (name: string, fromHours: number, component = db) =>
      scheduleMaintenance(p.ctx, system, {
        name,
        scheduled_for: new Date(p.clock.now().getTime() + fromHours * HOUR).toISOString(),
        scheduled_until: new Date(p.clock.now().getTime() + (fromHours + 2) * HOUR).toISOString(),
        component_ids: [component],
        ...quiet,
      }).id;
    ids.later = window('Later upgrade', 48);
    ids.soon = window('Soon upgrade', 24);
    ids.running = window('Running upgrade', 1, components['Web app'] ?? '');
    patchMaintenance(p.ctx, system, ids.running, { status: 'in_progress', ...quiet });
    ids.done = window('Done upgrade', 2);
    patchMaintenance(p.ctx, system, ids.done, { status: 'in_progress', ...quiet });
    patchMaintenance(p.ctx, system, ids.done, { status: 'completed', ...quiet });
  });
  after(() => w.close());

  const list = async (path: string) => {
    const res = await call('get', path);
    assert.equal(res.status, 200, `${path}: ${res.text.slice(0, 300)}`);
    return arr(res.body, path).map((i, n) => obj(i, `${path}[${n}]`));
  };
  const names = async (path: string) => (await list(path)).map((i) => i.name);

  it('lists incidents and windows newest first, 100 a page at most; page and per_page (or limit) page through', async () => {
    const first = await list('/incidents');
    assert.equal(first.length, 100);
    // By their start: a window scheduled ahead comes before what already happened.
    for (let n = 1; n < first.length; n++) assert.ok(String(first[n - 1]?.started_at) >= String(first[n]?.started_at), `newest first at ${n}`);
    assert.deepEqual(
      first.map((i) => i.name).filter((n) => ['Fixed DNS', 'Slow queries', 'Login failures'].includes(String(n))),
      ['Fixed DNS', 'Slow queries', 'Login failures'],
    );
    first.filter((i) => i.impact !== 'maintenance').forEach((i, n) => checkIncident(i, p.ctx.pageId, `incidents[${n}]`));
    const all = [...first, ...(await list('/incidents?page=2'))];
    assert.equal(new Set(all.map((i) => i.id)).size, 103 + 3 + 4, 'every incident and window once over the two pages');
    assert.deepEqual((await list('/incidents?page=3')).length, 0);
    const four = await names('/incidents?limit=4');
    assert.deepEqual(await names('/incidents?per_page=2&page=2'), four.slice(2));
    assert.equal((await list('/incidents?limit=2')).length, 2);
    assert.equal((await list('/incidents?per_page=500')).length, 100, 'per_page is at most 100');
    assert.equal((await list('/incidents?per_page=0&page=-3')).length, 100, 'nonsense falls back to the defaults');
  });

  it('searches the name, the status and the updates with q (case-insensitive; % and _ are text)', async () => {
    assert.deepEqual(await names('/incidents?q=login'), ['Login failures']);
    assert.deepEqual(await names('/incidents?q=CERTIFICATE'), ['Login failures'], 'an update of it');
    assert.deepEqual(await names('/incidents?q=100%25'), ['Login failures'], '% is searched for as text');
    assert.deepEqual(await names('/incidents?q=monitoring'), ['Slow queries'], 'its status');
    assert.deepEqual(await names('/incidents?q=upgrade&per_page=2'), ['Later upgrade', 'Soon upgrade']);
    assert.deepEqual(await names('/incidents?q=in_progress'), ['Running upgrade'], 'a status with its _');
    assert.deepEqual(await names('/incidents?q=Login_failures'), [], '_ is no wildcard');
    assert.deepEqual(await names('/incidents?q=nothing+like+this'), []);
    assert.equal((await list('/incidents?q=')).length, 100, 'an empty q is no filter');
    await rejected(() => call('get', `/incidents?q=${'x'.repeat(201)}`), 422, 'a long q', 'q');
    await rejected(() => call('get', '/incidents?q=a&q=b'), 422, 'two q', 'q');
  });

  it('lists the unresolved incidents, newest first, without maintenance', async () => {
    const unresolved = await list('/incidents/unresolved');
    assert.deepEqual(
      unresolved.map((i) => i.name),
      ['Slow queries', 'Login failures'],
    );
    unresolved.forEach((i, n) => checkIncident(i, p.ctx.pageId, `unresolved[${n}]`));
    assert.deepEqual(await names('/incidents/unresolved.json?per_page=1&page=2'), ['Login failures']);
  });

  it('lists maintenance: scheduled (all, latest first), upcoming (soonest first), active_maintenance', async () => {
    assert.deepEqual(await names('/incidents/scheduled'), ['Later upgrade', 'Soon upgrade', 'Done upgrade', 'Running upgrade']);
    assert.deepEqual(await names('/incidents/upcoming'), ['Soon upgrade', 'Later upgrade']);
    assert.deepEqual(await names('/incidents/active_maintenance'), ['Running upgrade']);
    assert.deepEqual(await names('/incidents/upcoming.json?per_page=1&page=2'), ['Later upgrade']);
    for (const m of await list('/incidents/scheduled')) {
      assert.equal(m.impact, 'maintenance');
      assert.ok(typeof m.scheduled_for === 'string' && typeof m.scheduled_until === 'string', 'a window carries its times');
    }
  });

  it('gives each incident its components as full component objects, with their current status', async () => {
    const [login] = await list('/incidents?q=login');
    const [component] = arr(login?.components, 'components');
    const c = checkComponent(component, p.ctx.pageId, 'login.components[0]');
    assert.equal(c.id, components.API);
    assert.equal(c.name, 'API');
    assert.equal(c.status, 'partial_outage');
    const [running] = await list('/incidents/active_maintenance');
    assert.equal(checkComponent(arr(running?.components, 'components')[0], p.ctx.pageId, 'running.components[0]').status, 'under_maintenance');
  });

  it('does not take a list name for an incident id, and 404s an unknown list', async () => {
    await rejected(() => call('get', '/incidents/nonexistent'), 404, 'unknown id');
    await rejected(() => call('patch', '/incidents/unresolved', { incident: { name: 'x' } }), 404, 'PATCH a list name');
  });
});
