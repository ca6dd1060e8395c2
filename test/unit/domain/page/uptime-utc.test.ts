import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createComponent } from '../../../../server/domain/page/components.js';
import { createIncident, patchIncident } from '../../../../server/domain/incidents/writes.js';
import { runMaintenanceTransitions, scheduleMaintenance } from '../../../../server/domain/incidents/maintenance.js';
import { uptimeBars } from '../../../../server/domain/page/uptime.js';
import { startPharos, type TestPharos } from '../../../helpers/pharos.js';
import { barsOf, barsOnPage, dayOf, outage, rowOf, statusPage, system } from './uptime-history.js';

/**
 * Uptime from constructed histories. Every status change goes through the domain (components,
 * incidents, maintenance) with the injected clock set to the moment it happens; nothing sleeps.
 *
 * The arithmetic the expectations follow (server/domain/page/uptime.ts, as on Statuspage):
 *   downtime = major-outage minutes × 1 + partial-outage minutes × 0.3
 *   uptime % = 100 × (1 − downtime / minutes of the days with data)
 * where a day is the whole calendar day, today and the component's first day included, and the days
 * before a component existed are "no data" (shown, not counted); degraded performance and maintenance
 * are not downtime.
 */

const expectedPercent = (down: number, minutes: number) => 100 * (1 - down / minutes);

describe('uptime from a constructed history (UTC)', () => {
  let p: TestPharos;
  const ids: Record<string, string> = {};
  // Now: 10:07 on 30 November, so that no expected percentage falls exactly on a 0.01 boundary.
  const NOW = '2026-11-30T10:07:00.000Z';
  // Components created at 2026-11-20T00:00Z: 11 days with data, today whole (15,840 min).
  const DAYS_SINCE_20TH = 11 * 1440;

  before(async () => {
    p = await startPharos();
    p.clock.set('2026-06-01T00:00:00.000Z');
    ids.veteran = createComponent(p.ctx, system, { name: 'Veteran' }).id;
    p.clock.set('2026-11-20T00:00:00.000Z');
    for (const name of ['API', 'Search', 'Storage', 'Backups']) ids[name] = createComponent(p.ctx, system, { name }).id;
    ids.internal = createComponent(p.ctx, system, { name: 'Internal', showcase: false }).id;

    // Maintenance on Backups, 26 November 02:00–04:00, through the window's own transitions.
    p.clock.set('2026-11-25T12:00:00.000Z');
    scheduleMaintenance(p.ctx, system, {
      name: 'Backup storage upgrade',
      component_ids: [ids.Backups ?? ''],
      scheduled_for: '2026-11-26T02:00:00Z',
      scheduled_until: '2026-11-26T04:00:00Z',
      scheduled_remind_prior: 0,
    });
    p.clock.set('2026-11-25T15:00:00.000Z');
    ids.young = createComponent(p.ctx, system, { name: 'Young' }).id;
    p.clock.set('2026-11-26T02:00:00.000Z');
    assert.equal(runMaintenanceTransitions(p.ctx, p.clock.now()).started, 1);
    p.clock.set('2026-11-26T04:00:00.000Z');
    assert.equal(runMaintenanceTransitions(p.ctx, p.clock.now()).completed, 1);

    // Overlapping incidents on Search, 27 November: partial from 09:00, major from 09:30; the first
    // incident resolves at 10:00 while the second still holds Search (so it stays in major outage),
    // the second at 10:30.
    p.clock.set('2026-11-27T09:00:00.000Z');
    const index = createIncident(p.ctx, system, { name: 'Index corruption', components: { [ids.Search as string]: 'partial_outage' } });
    p.clock.set('2026-11-27T09:30:00.000Z');
    const cluster = createIncident(p.ctx, system, { name: 'Search cluster down', components: { [ids.Search as string]: 'major_outage' } });
    p.clock.set('2026-11-27T10:00:00.000Z');
    patchIncident(p.ctx, system, index.id, { status: 'resolved' });
    p.clock.set('2026-11-27T10:30:00.000Z');
    patchIncident(p.ctx, system, cluster.id, { status: 'resolved' });

    // A partial outage of Storage, 28 November 08:00–12:00 (240 min).
    outage(p, 'Slow uploads', ids.Storage as string, 'partial_outage', '2026-11-28T08:00:00.000Z', '2026-11-28T12:00:00.000Z');

    // A major outage of the API, 29 November 10:00–10:45 (Internal, which does not showcase, too).
    p.clock.set('2026-11-29T10:00:00.000Z');
    const failover = createIncident(p.ctx, system, {
      name: 'Database failover',
      components: { [ids.API as string]: 'major_outage', [ids.internal]: 'major_outage' },
    });
    p.clock.set('2026-11-29T10:45:00.000Z');
    patchIncident(p.ctx, system, failover.id, { status: 'resolved' });

    // Young: a major outage of 1 h 59 min 40 s (119.67 min), 29 November 20:00:00–21:59:40.
    outage(p, 'Young outage', ids.young, 'major_outage', '2026-11-29T20:00:00.000Z', '2026-11-29T21:59:40.000Z');

    p.clock.set(NOW);
  });
  after(async () => {
    await p.close();
  });

  it('a partial day: an outage from 10:00 to 10:45 is 45 minutes of major outage that day, its worst status', () => {
    const u = barsOf(p, ids.API as string);
    const day = dayOf(u, '2026-11-29');
    assert.equal(day.major, 45);
    assert.equal(day.partial, 0);
    assert.equal(day.observed, 1440);
    assert.equal(day.worst, 'major_outage');
    assert.equal(day.label, '29 November 2026');
    assert.deepEqual(
      day.incidents.map((i) => i.name),
      ['Database failover'],
    );
    for (const other of u.days.filter((d) => d.key !== '2026-11-29')) {
      assert.equal(other.worst, 'operational', other.key);
      assert.deepEqual(other.incidents, [], other.key);
    }
    assert.equal(dayOf(u, '2026-11-30').observed, 607, 'today counts up to now');
    // 45 min down out of 15,840: 100 × (1 − 45 / 15840) = 99.7159 %.
    assert.ok(u.uptime !== null, 'an uptime figure');
    assert.ok(Math.abs(u.uptime - expectedPercent(45, DAYS_SINCE_20TH)) < 1e-9, String(u.uptime));
  });

  it('a partial outage counts 30 % of its minutes as downtime', () => {
    const u = barsOf(p, ids.Storage as string);
    const day = dayOf(u, '2026-11-28');
    assert.equal(day.partial, 240);
    assert.equal(day.major, 0);
    assert.equal(day.worst, 'partial_outage');
    // 240 min of partial outage × 0.3 = 72 min of downtime; 100 × (1 − 72 / 15840) = 99.5454 %.
    assert.ok(u.uptime !== null, 'an uptime figure');
    assert.ok(Math.abs(u.uptime - expectedPercent(72, DAYS_SINCE_20TH)) < 1e-9, String(u.uptime));
  });

  it('overlapping incidents on one component: each minute counted once, at the status it had', () => {
    const u = barsOf(p, ids.Search as string);
    const day = dayOf(u, '2026-11-27');
    // Partial 09:00–09:30, major 09:30–10:30 (the first incident's resolution left the second's outage alone).
    assert.equal(day.partial, 30);
    assert.equal(day.major, 60);
    assert.equal(day.observed, 1440, 'no minute counted twice');
    assert.equal(day.worst, 'major_outage');
    assert.deepEqual(
      day.incidents.map((i) => i.name),
      ['Index corruption', 'Search cluster down'],
    );
    // 60 × 1 + 30 × 0.3 = 69 min of downtime; 100 × (1 − 69 / 15840) = 99.5643 %.
    assert.ok(u.uptime !== null, 'an uptime figure');
    assert.ok(Math.abs(u.uptime - expectedPercent(69, DAYS_SINCE_20TH)) < 1e-9, String(u.uptime));
  });

  it('maintenance is shown but not counted as downtime', () => {
    const u = barsOf(p, ids.Backups as string);
    const day = dayOf(u, '2026-11-26');
    assert.equal(day.maintenance, 120);
    assert.equal(day.major + day.partial, 0);
    assert.equal(day.worst, 'under_maintenance');
    assert.deepEqual(day.incidents, [], 'a maintenance window is not listed as an incident');
    assert.equal(u.uptime, 100);
  });

  it('every component has 90 days: those before a younger one existed are "no data", not counted', () => {
    const young = barsOf(p, ids.young as string);
    assert.equal(young.days.length, 90);
    assert.deepEqual(
      young.days.filter((d) => !d.noData).map((d) => d.key),
      ['2026-11-25', '2026-11-26', '2026-11-27', '2026-11-28', '2026-11-29', '2026-11-30'],
    );
    assert.ok(young.days.filter((d) => d.noData).every((d) => d.key < '2026-11-25' && d.worst === 'operational' && d.observed === 0));
    assert.equal(dayOf(young, '2026-11-25').observed, 9 * 60, 'created at 15:00: it existed 9 hours of its first day');
    // 119.67 min of major outage out of 6 whole days (8,640 min): its first day and today count whole.
    assert.ok(young.uptime !== null, 'an uptime figure');
    assert.ok(Math.abs(young.uptime - expectedPercent(119 + 40 / 60, 6 * 1440)) < 1e-9, String(young.uptime));

    const api = barsOf(p, ids.API as string);
    assert.equal(api.days.length, 90);
    assert.equal(api.days.find((d) => !d.noData)?.key, '2026-11-20');

    const veteran = barsOf(p, ids.veteran as string);
    assert.equal(veteran.days.length, 90);
    assert.equal(veteran.days[0]?.key, '2026-09-02');
    assert.equal(veteran.days.at(-1)?.key, '2026-11-30');
    assert.equal(veteran.uptime, 100);
  });

  it('renders every day, labelled (quiet runs as one bar), and the uptime percentage on the status page', async () => {
    const html = await statusPage(p);

    const api = barsOnPage(html, 'API');
    assert.equal(api.label, 'API: the last 90 days');
    assert.equal(api.dayCount, 90);
    assert.equal(api.barCount, 4, 'the days before it existed, nine quiet days, the outage, today');
    assert.equal(api.tips.length, 4, 'every bar has a text label');
    assert.deepEqual(api.tips, [
      '2 September 2026 – 19 November 2026: no data (before this component was added)',
      '20 November 2026 – 28 November 2026: no downtime',
      '29 November 2026: Major outage, 45 min of major outage; Database failover',
      '30 November 2026: no downtime',
    ]);
    assert.equal(api.figure, '99.71 % uptime · 90 days');

    const storage = barsOnPage(html, 'Storage');
    assert.ok(
      storage.tips.some((t) => /^28 November 2026: Partial outage, 4 h( 0 min)? of partial outage; Slow uploads$/.test(t)),
      storage.tips.join('\n'),
    );
    assert.equal(storage.figure, '99.54 % uptime · 90 days');

    const search = barsOnPage(html, 'Search');
    assert.ok(
      search.tips.some((t) =>
        /^27 November 2026: Major outage, 1 h( 0 min)? of major outage, 30 min of partial outage; Index corruption; Search cluster down$/.test(t),
      ),
      search.tips.join('\n'),
    );
    assert.equal(search.figure, '99.56 % uptime · 90 days');

    const backups = barsOnPage(html, 'Backups');
    assert.ok(backups.tips.includes('26 November 2026: Under maintenance'), backups.tips.join('\n'));
    assert.equal(backups.figure, '100.00 % uptime · 90 days');

    const veteran = barsOnPage(html, 'Veteran');
    assert.equal(veteran.dayCount, 90);
    assert.deepEqual(veteran.tips, ['2 September 2026 – 30 November 2026: no downtime']);
    assert.equal(veteran.figure, '100.00 % uptime · 90 days');

    const young = barsOnPage(html, 'Young');
    assert.equal(young.dayCount, 90);
    assert.equal(young.barCount, 4, 'no data, four quiet days, the outage, today');
    assert.equal(young.figure, '98.61 % uptime · 90 days');
  });

  it('shows no bars for a component with showcase off', async () => {
    const html = await statusPage(p);
    const row = rowOf(html, 'Internal');
    assert.doesNotMatch(row, /class="uptime/);
    assert.doesNotMatch(row, /class="bar /);
    assert.doesNotMatch(row, /uptime__figure/);
    assert.equal(
      uptimeBars(p.ctx.db, 'Etc/UTC', p.clock.now(), [ids.internal as string])
        .get(ids.internal as string)
        ?.days.filter((d) => !d.noData).length,
      11,
      'the history is still kept',
    );
  });

  it('never labels a bar with "60 min": 119.67 minutes read as 2 h, not 1 h 60 min', async () => {
    const html = await statusPage(p);
    const young = barsOnPage(html, 'Young');
    const tip = young.tips.find((t) => t.startsWith('29 November 2026'));
    assert.ok(tip, 'a bar for 29 November');
    assert.match(tip, /^29 November 2026: Major outage, 2 h( 0 min)? of major outage; Young outage$/);
  });
});
