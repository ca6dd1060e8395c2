import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createComponent } from '../../../../server/domain/page/components.js';
import { createGroup } from '../../../../server/domain/page/groups.js';
import { rollupUptime } from '../../../../server/domain/page/uptime.js';
import { componentUptime, groupUptime, partialDate, requestedRange, uptimeOver } from '../../../../server/domain/page/uptime-range.js';
import { Invalid } from '../../../../server/errors.js';
import { startPharos, type TestPharos } from '../../../helpers/pharos.js';
import { barsOf, outage, system } from './uptime-history.js';

/**
 * Uptime over any range of days (the v1 API's /uptime), from constructed histories, against the same
 * arithmetic as the bars (uptime-utc.test.ts): downtime = major minutes + 0.3 × partial minutes over
 * the whole days with data, today counted whole.
 */

const expectedPercent = (down: number, minutes: number) => 100 * (1 - down / minutes);
const near = (actual: number | null, expected: number) => {
  assert.ok(actual !== null, 'an uptime figure');
  assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} ≠ ${expected}`);
};
const invalidOn = (field: string) => (err: unknown) => err instanceof Invalid && Object.keys(err.fields).join() === field;

describe('partial dates and the range asked for', () => {
  const TODAY = '2026-11-30';

  it('reads a year, a month or a day as its first or last day, from 1970', () => {
    assert.equal(partialDate('2026', 'first'), '2026-01-01');
    assert.equal(partialDate('2026', 'last'), '2026-12-31');
    assert.equal(partialDate('2024-02', 'last'), '2024-02-29');
    assert.equal(partialDate('2026-02', 'first'), '2026-02-01');
    assert.equal(partialDate('2026-11-05', 'last'), '2026-11-05');
    for (const bad of ['2026-02-30', '2026-13', '1969-12-31', '26-11-05', '2026-11-5', '2026-11-05T00:00:00Z', 'yesterday', '']) {
      assert.equal(partialDate(bad, 'first'), undefined, bad);
    }
  });

  it('defaults to the last 90 days, as the bars', () => {
    assert.deepEqual(requestedRange(TODAY, {}), { first: '2026-09-02', last: TODAY, startGiven: false, warnings: [] });
    // An end alone: the 90 days up to it.
    assert.deepEqual(requestedRange(TODAY, { end: '2026-10-31' }).first, '2026-08-03');
  });

  it('brings an end after today back to today, with Statuspage’s warning', () => {
    const r = requestedRange(TODAY, { start: '2026-11', end: '2026-12' });
    assert.deepEqual([r.first, r.last], ['2026-11-01', TODAY]);
    assert.deepEqual(r.warnings, ['End date was adjusted to today. See range_end field in response for end date used.']);
  });

  it('refuses, naming the field: a bad date, an end before the start, more than six calendar months, a start after today', () => {
    assert.throws(() => requestedRange(TODAY, { start: 'last week' }), invalidOn('start'));
    assert.throws(() => requestedRange(TODAY, { end: '2026-02-30' }), invalidOn('end'));
    assert.throws(() => requestedRange(TODAY, { start: ['2026-11-01', '2026-11-02'] }), invalidOn('start'));
    assert.throws(() => requestedRange(TODAY, { start: '2026-11-10', end: '2026-11-09' }), invalidOn('end'));
    assert.throws(() => requestedRange(TODAY, { start: '2026-12-01' }), invalidOn('start'));
    // Six calendar months: 1 January to 30 June, not to 1 July; 31 August to 28 February, not to 1 March.
    assert.equal(requestedRange(TODAY, { start: '2026-01-01', end: '2026-06-30' }).last, '2026-06-30');
    assert.throws(() => requestedRange(TODAY, { start: '2026-01-01', end: '2026-07-01' }), invalidOn('end'));
    assert.equal(requestedRange(TODAY, { start: '2025-08-31', end: '2026-02-28' }).last, '2026-02-28');
    assert.throws(() => requestedRange(TODAY, { start: '2025-08-31', end: '2026-03-01' }), invalidOn('end'));
    assert.equal(requestedRange(TODAY, { start: '2026-01-31', end: '2026-07-30' }).last, '2026-07-30');
    assert.throws(() => requestedRange(TODAY, { start: '2026-01-31', end: '2026-07-31' }), invalidOn('end'));
    assert.throws(() => requestedRange(TODAY, { start: '2026', end: '2026' }), invalidOn('end'));
    // No end: the range runs to today, and is too long itself.
    assert.throws(() => requestedRange(TODAY, { start: '2026-05-30' }), invalidOn('start'));
    assert.equal(requestedRange(TODAY, { start: '2026-05-31' }).first, '2026-05-31');
  });
});

describe('uptime over a range of days (UTC)', () => {
  let p: TestPharos;
  const ids: Record<string, string> = {};
  const NOW = '2026-11-30T10:07:00.000Z';
  const over = (id: string, query: { start?: string; end?: string }) => uptimeOver(p.ctx.db, 'UTC', p.clock.now(), [id], query);

  before(async () => {
    p = await startPharos();
    p.clock.set('2026-06-01T00:00:00.000Z');
    ids.veteran = createComponent(p.ctx, system, { name: 'Veteran' }).id;
    ids.group = createGroup(p.ctx, system, { name: 'Data' }).id;
    p.clock.set('2026-11-20T00:00:00.000Z');
    ids.api = createComponent(p.ctx, system, { name: 'API' }).id;
    ids.search = createComponent(p.ctx, system, { name: 'Search', group_id: ids.group }).id;
    ids.hidden = createComponent(p.ctx, system, { name: 'Hidden', showcase: false }).id;
    p.clock.set('2026-11-25T15:00:00.000Z');
    ids.young = createComponent(p.ctx, system, { name: 'Young', group_id: ids.group }).id;
    // Long ago, beyond the 90 days the page keeps rolled up: 60 min of major outage on the veteran.
    ids.july = outage(p, 'July outage', ids.veteran, 'major_outage', '2026-07-10T08:00:00.000Z', '2026-07-10T09:00:00.000Z').id;
    // 45 min of major outage of the API on the 29th; 4 h of partial outage of Search on the 28th.
    ids.failover = outage(p, 'Database failover', ids.api, 'major_outage', '2026-11-29T10:00:00.000Z', '2026-11-29T10:45:00.000Z').id;
    ids.slow = outage(p, 'Slow search', ids.search, 'partial_outage', '2026-11-28T08:00:00.000Z', '2026-11-28T12:00:00.000Z').id;
    // The young one is down for 2 h on the 29th.
    ids.young_down = outage(p, 'Young down', ids.young, 'major_outage', '2026-11-29T20:00:00.000Z', '2026-11-29T22:00:00.000Z').id;
    p.clock.set(NOW);
  });
  after(() => p.close());

  it('without start and end, is the bars’ figure, over the days with data', () => {
    for (const id of [ids.veteran, ids.api, ids.search, ids.young] as string[]) {
      const r = over(id, {});
      assert.equal(r.last, '2026-11-30');
      assert.equal(r.percent, barsOf(p, id).uptime, id);
      assert.deepEqual(r.warnings, [], 'a default start is not a warning');
    }
    const api = over(ids.api as string, {});
    assert.equal(api.first, '2026-11-20', 'from its first day');
    near(api.percent, expectedPercent(45, 11 * 1440));
    assert.equal(api.majorSeconds, 45 * 60);
    assert.equal(api.partialSeconds, 0);
    assert.deepEqual(api.components, [{ id: ids.api, incidents: [ids.failover] }]);
  });

  it('counts the days asked, whole, and only the incidents within them', () => {
    const r = over(ids.search as string, { start: '2026-11-27', end: '2026-11-29' });
    assert.deepEqual([r.first, r.last], ['2026-11-27', '2026-11-29']);
    near(r.percent, expectedPercent(240 * 0.3, 3 * 1440));
    assert.deepEqual([r.majorSeconds, r.partialSeconds], [0, 240 * 60]);
    assert.deepEqual(r.components[0]?.incidents, [ids.slow]);
    const before = over(ids.search as string, { start: '2026-11-20', end: '2026-11-27' });
    assert.equal(before.percent, 100);
    assert.deepEqual(before.components[0]?.incidents, []);
  });

  it('reaches back past the 90 days kept rolled up, from the status history', () => {
    const r = over(ids.veteran as string, { start: '2026-06-01', end: '2026-11-30' });
    // 1 June to 30 November: 183 whole days (today counted whole, as on the page).
    near(r.percent, expectedPercent(60, 183 * 1440));
    assert.equal(r.majorSeconds, 3600);
    assert.deepEqual(r.components[0]?.incidents, [ids.july]);
    assert.equal(over(ids.veteran as string, { start: '2026-07-10', end: '2026-07-10' }).majorSeconds, 3600);
    near(over(ids.veteran as string, { start: '2026-07-10', end: '2026-07-10' }).percent, expectedPercent(60, 1440));
  });

  it('gives the same answer from rolled-up days as from the history', () => {
    const before = over(ids.search as string, { start: '2026-11-20', end: '2026-11-30' });
    rollupUptime(p.ctx.db, 'UTC', p.clock.now());
    assert.ok((p.ctx.db.prepare('SELECT COUNT(*) FROM uptime_days').pluck().get() as number) > 0, 'days were rolled up');
    assert.deepEqual(over(ids.search as string, { start: '2026-11-20', end: '2026-11-30' }), before);
  });

  it('starts at the first day with data, saying so when the start asked was earlier', () => {
    const r = over(ids.young as string, { start: '2026-11-01' });
    assert.equal(r.first, '2026-11-25');
    assert.deepEqual(r.warnings, ['Start date was adjusted to the first day with data. See range_start field in response for start date used.']);
    // Its first day and today count whole: 6 days, 2 h down.
    near(r.percent, expectedPercent(120, 6 * 1440));
    const none = over(ids.young as string, { start: '2026-11-01', end: '2026-11-24' });
    assert.equal(none.percent, null);
    assert.deepEqual([none.first, none.last, none.majorSeconds], ['2026-11-01', '2026-11-24', 0]);
    assert.match(none.warnings.join(), /No data/);
  });

  it('a group: its components’ downtime over their minutes together, and each one’s incidents', () => {
    const { group, report } = groupUptime(p.ctx, ids.group as string, { start: '2026-11-20', end: '2026-11-30' });
    assert.equal(group.name, 'Data');
    assert.equal(report.first, '2026-11-20');
    // Search: 11 days, 72 min down; Young: 6 days, 120 min down.
    near(report.percent, expectedPercent(72 + 120, 17 * 1440));
    assert.deepEqual([report.majorSeconds, report.partialSeconds], [120 * 60, 240 * 60]);
    assert.deepEqual(report.components, [
      { id: ids.search, incidents: [ids.slow] },
      { id: ids.young, incidents: [ids.young_down] },
    ]);
    const empty = groupUptime(p.ctx, createGroup(p.ctx, system, { name: 'Empty' }).id, {});
    assert.equal(empty.report.percent, null);
    assert.ok(empty.report.warnings.includes('This group has no components.'));
  });

  it('says when a component does not show its uptime on the page, and refuses an unknown one', () => {
    assert.ok(componentUptime(p.ctx, ids.hidden as string, {}).report.warnings.includes('This component does not show its uptime on the status page.'));
    assert.deepEqual(componentUptime(p.ctx, ids.api as string, {}).report.warnings, []);
    assert.throws(() => componentUptime(p.ctx, 'nosuchcomponent', {}), /No such component/);
    assert.throws(() => groupUptime(p.ctx, 'nosuchgroup', {}), /No such group/);
  });
});

describe('uptime over a range of days in the page’s zone (America/New_York)', () => {
  let p: TestPharos;
  let edge: string;

  before(async () => {
    p = await startPharos({ env: { TIME_ZONE: 'America/New_York' } });
    p.clock.set('2026-11-20T05:00:00.000Z');
    edge = createComponent(p.ctx, system, { name: 'Edge' }).id;
    // 03:00Z–06:00Z on 29 November: 22:00 on the 28th to 01:00 on the 29th in New York.
    outage(p, 'Overnight outage', edge, 'major_outage', '2026-11-29T03:00:00.000Z', '2026-11-29T06:00:00.000Z');
    p.clock.set('2026-11-30T15:07:00.000Z');
  });
  after(() => p.close());

  it('counts the local days: two hours on the 28th, one on the 29th', () => {
    assert.equal(componentUptime(p.ctx, edge, { start: '2026-11-28', end: '2026-11-28' }).report.majorSeconds, 2 * 3600);
    assert.equal(componentUptime(p.ctx, edge, { start: '2026-11-29', end: '2026-11-29' }).report.majorSeconds, 3600);
    const whole = componentUptime(p.ctx, edge, {}).report;
    assert.equal(whole.first, '2026-11-20');
    assert.equal(whole.percent, barsOf(p, edge).uptime, 'the bars’ figure');
  });
});
