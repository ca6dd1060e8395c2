import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createComponent } from '../../server/domain/page/components.js';
import { createGroup } from '../../server/domain/page/groups.js';
import { createIncident, patchIncident } from '../../server/domain/incidents/writes.js';
import { addApiKey, startPharos, type TestPharos } from '../helpers/pharos.js';
import { barsOnPage, statusPage } from '../unit/domain/page/uptime-history.js';
import { exactKeys, obj, type Json } from '../helpers/statuspage.js';

/**
 * The management API's uptime, in Statuspage's v1 shape: GET …/components/:id/uptime and
 * …/component-groups/:id/uptime, computed as the page's bars. Needs server/http/api/uptime.ts mounted on
 * the v1 page router.
 */

const system = { type: 'system' } as const;
const UPTIME_KEYS = ['range_start', 'range_end', 'uptime_percentage', 'major_outage', 'partial_outage', 'warnings', 'id', 'name', 'related_events'];

describe('management API v1: uptime', () => {
  let p: TestPharos;
  let key: string;
  let api: string;
  let search: string;
  let young: string;
  let group: string;
  let failover: string;
  let slow: string;
  const call = (path: string) => request(p.app).get(`/api/v1/pages/${p.ctx.pageId}${path}`).set('Authorization', `OAuth ${key}`);
  const uptime = async (path: string): Promise<Json> => {
    const res = await call(path);
    assert.equal(res.status, 200, `${path}: ${res.text}`);
    const u = obj(res.body, path);
    exactKeys(u, UPTIME_KEYS, path);
    return u;
  };

  before(async () => {
    p = await startPharos();
    key = addApiKey(p, 'reporting');
    p.clock.set('2026-11-20T00:00:00.000Z');
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    group = createGroup(p.ctx, system, { name: 'Data' }).id;
    search = createComponent(p.ctx, system, { name: 'Search', group_id: group }).id;
    p.clock.set('2026-11-25T15:00:00.000Z');
    young = createComponent(p.ctx, system, { name: 'Young', group_id: group }).id;
    // 45 min of major outage of the API on the 29th; 4 h of partial outage of Search on the 28th.
    p.clock.set('2026-11-29T10:00:00.000Z');
    failover = createIncident(p.ctx, system, { name: 'Database failover', components: { [api]: 'major_outage' } }).id;
    p.clock.set('2026-11-29T10:45:00.000Z');
    patchIncident(p.ctx, system, failover, { status: 'resolved' });
    p.clock.set('2026-11-28T08:00:00.000Z');
    slow = createIncident(p.ctx, system, { name: 'Slow search', components: { [search]: 'partial_outage' } }).id;
    p.clock.set('2026-11-28T12:00:00.000Z');
    patchIncident(p.ctx, system, slow, { status: 'resolved' });
    p.clock.set('2026-11-30T10:07:00.000Z');
  });
  after(() => p.close());

  it('by default, the last 90 days from the first day with data: the figure the page shows', async () => {
    const u = await uptime(`/components/${api}/uptime`);
    // 45 min down out of 11 whole days (15,840 min): 99.7159 %, shown as 99.71.
    assert.deepEqual(u, {
      range_start: '2026-11-20',
      range_end: '2026-11-30',
      uptime_percentage: 99.71,
      major_outage: 2700,
      partial_outage: 0,
      warnings: [],
      id: api,
      name: 'API',
      related_events: [{ id: failover }],
    });
    const onPage = barsOnPage(await statusPage(p), 'API').figure;
    assert.equal(onPage, `${String(u.uptime_percentage)} % uptime · 90 days`);
  });

  it('over the days asked: start and end inclusive, partial outage in seconds', async () => {
    const u = await uptime(`/components/${search}/uptime?start=2026-11-27&end=2026-11-29`);
    // 240 min × 0.3 = 72 min down out of 3 days (4,320 min): 98.3333 %.
    assert.deepEqual(
      [u.range_start, u.range_end, u.uptime_percentage, u.major_outage, u.partial_outage, u.related_events],
      ['2026-11-27', '2026-11-29', 98.33, 0, 14_400, [{ id: slow }]],
    );
    const quiet = await uptime(`/components/${search}/uptime?start=2026-11-20&end=2026-11-27`);
    assert.deepEqual([quiet.uptime_percentage, quiet.related_events], [100, []]);
  });

  it('reads a month or a year as Statuspage does, and says what it adjusted', async () => {
    const u = await uptime(`/components/${young}/uptime?start=2026-11&end=2026-12`);
    assert.deepEqual([u.range_start, u.range_end], ['2026-11-25', '2026-11-30']);
    assert.deepEqual(u.warnings, [
      'End date was adjusted to today. See range_end field in response for end date used.',
      'Start date was adjusted to the first day with data. See range_start field in response for start date used.',
    ]);
    const before = await uptime(`/components/${young}/uptime?start=2026-11-01&end=2026-11-10`);
    assert.deepEqual([before.uptime_percentage, before.major_outage], [null, 0]);
  });

  it('a group: its components together, and the incidents of each', async () => {
    const u = await uptime(`/component-groups/${group}/uptime`);
    // Search: 72 min down over 11 days; Young: none over 6 days; together 72 / 24,480 min: 99.7058 %.
    assert.deepEqual(u, {
      range_start: '2026-11-20',
      range_end: '2026-11-30',
      uptime_percentage: 99.7,
      major_outage: 0,
      partial_outage: 14_400,
      warnings: [],
      id: group,
      name: 'Data',
      related_events: [
        { component_id: search, incidents: [{ id: slow }] },
        { component_id: young, incidents: [] },
      ],
    });
  });

  it('refuses a bad range with 422 naming start or end, and unknown ids with 404', async () => {
    const cases: [string, string][] = [
      ['start=yesterday', 'start'],
      ['start=2026-02-30', 'start'],
      ['end=1969-12-31', 'end'],
      ['start=2026-11-10&end=2026-11-09', 'end'],
      ['start=2026-01-01&end=2026-07-01', 'end'],
      ['start=2026-05-01', 'start'],
      ['start=2026-12-01', 'start'],
      ['start=2026-11-01&start=2026-11-02', 'start'],
    ];
    for (const [query, field] of cases) {
      const res = await call(`/components/${api}/uptime?${query}`);
      assert.equal(res.status, 422, query);
      const error = (res.body as { error: { code: string; fields: Record<string, string> } }).error;
      assert.deepEqual([error.code, Object.keys(error.fields)], ['invalid', [field]], query);
    }
    assert.equal((await call(`/component-groups/${group}/uptime?end=2026-13`)).status, 422);
    assert.equal((await call('/components/nosuchcomponent/uptime')).status, 404);
    assert.equal((await call('/component-groups/nosuchgroup/uptime')).status, 404);
    assert.equal((await call(`/component-groups/${api}/uptime`)).status, 404, 'a component is not a group');
  });

  it('refuses a client without a valid key', async () => {
    await request(p.app).get(`/api/v1/pages/${p.ctx.pageId}/components/${api}/uptime`).expect(401);
    await request(p.app).get(`/api/v1/pages/${p.ctx.pageId}/component-groups/${group}/uptime`).set('Authorization', 'OAuth pharos_nope').expect(401);
  });
});
