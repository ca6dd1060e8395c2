import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createComponent } from '../../../../server/domain/page/components.js';
import { startPharos, type TestPharos } from '../../../helpers/pharos.js';
import { barsOf, barsOnPage, dayOf, outage, statusPage, system } from './uptime-history.js';

/**
 * Uptime from constructed histories. Every status change goes through the domain (components,
 * incidents, maintenance) with the injected clock set to the moment it happens; nothing sleeps.
 *
 * The arithmetic the expectations follow (server/domain/page/uptime.ts, as on Statuspage):
 *   downtime = major-outage minutes × 1 + partial-outage minutes × 0.3
 *   uptime % = 100 × (1 − downtime / minutes of the days with data)
 * where a day is the whole local calendar day (23 or 25 hours where the clocks change), today and the
 * component's first day included; degraded performance and maintenance are not downtime.
 */

describe('uptime day boundaries in TIME_ZONE=America/New_York', () => {
  let p: TestPharos;
  let edge: string;
  let old: string;

  before(async () => {
    p = await startPharos({ env: { TIME_ZONE: 'America/New_York' } });
    p.clock.set('2026-06-01T04:00:00.000Z');
    old = createComponent(p.ctx, system, { name: 'Old' }).id;
    // Local midnight of 20 November (EST, UTC−5).
    p.clock.set('2026-11-20T05:00:00.000Z');
    edge = createComponent(p.ctx, system, { name: 'Edge' }).id;
    // 03:00Z–06:00Z on 29 November is 22:00 on the 28th to 01:00 on the 29th in New York.
    outage(p, 'Overnight outage', edge, 'major_outage', '2026-11-29T03:00:00.000Z', '2026-11-29T06:00:00.000Z');
    p.clock.set('2026-11-30T15:07:00.000Z');
  });
  after(async () => {
    await p.close();
  });

  it('splits an outage at local midnight: the first hours fall on the previous local day', () => {
    const u = barsOf(p, edge);
    const d28 = dayOf(u, '2026-11-28');
    const d29 = dayOf(u, '2026-11-29');
    assert.equal(d28.major, 120, '03:00Z–05:00Z is 22:00–24:00 on the 28th');
    assert.equal(d29.major, 60, '05:00Z–06:00Z is 00:00–01:00 on the 29th');
    assert.equal(d28.worst, 'major_outage');
    assert.equal(d29.worst, 'major_outage');
    assert.deepEqual(
      d28.incidents.map((i) => i.name),
      ['Overnight outage'],
    );
    assert.deepEqual(
      d29.incidents.map((i) => i.name),
      ['Overnight outage'],
    );
    assert.equal(d28.label, '28 November 2026');
    const first = u.days.find((d) => !d.noData);
    assert.equal(first?.key, '2026-11-20');
    assert.equal(first?.observed, 1440, 'created at local midnight: a whole first day');
    assert.equal(dayOf(u, '2026-11-30').observed, 10 * 60 + 7, 'today up to 10:07 local');
  });

  it('days are local calendar days: the day clocks go back has 25 hours', () => {
    const u = barsOf(p, old);
    assert.equal(u.days.length, 90);
    assert.equal(u.days[0]?.key, '2026-09-02');
    assert.equal(dayOf(u, '2026-11-01').observed, 25 * 60);
    assert.equal(dayOf(u, '2026-11-02').observed, 24 * 60);
    assert.equal(dayOf(u, '2026-11-01').length, 25 * 60, 'and counts as 25 hours');
    assert.equal(dayOf(u, '2026-11-30').length, 24 * 60, 'today counts whole');
  });

  it('labels the bars with the local days on the status page', async () => {
    const html = await statusPage(p);
    const bars = barsOnPage(html, 'Edge');
    assert.ok(
      bars.tips.some((t) => /^28 November 2026: Major outage, 2 h( 0 min)? of major outage; Overnight outage$/.test(t)),
      bars.tips.join('\n'),
    );
    assert.ok(
      bars.tips.some((t) => /^29 November 2026: Major outage, 1 h( 0 min)? of major outage; Overnight outage$/.test(t)),
      bars.tips.join('\n'),
    );
  });
});
