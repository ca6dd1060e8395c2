import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createComponent } from '../../../../server/domain/page/components.js';
import { runMaintenanceTransitions, scheduleMaintenance } from '../../../../server/domain/incidents/maintenance.js';
import { rollupUptime, uptimeBars } from '../../../../server/domain/page/uptime.js';
import { runJob } from '../../../../server/jobs/schedule.js';
import { uptimeJob } from '../../../../server/jobs/uptime-rollup.js';
import { startPharos, type TestPharos } from '../../../helpers/pharos.js';
import { outage, system } from './uptime-history.js';

/**
 * Uptime from constructed histories. Every status change goes through the domain (components,
 * incidents, maintenance) with the injected clock set to the moment it happens; nothing sleeps.
 *
 * The arithmetic the expectations follow (server/domain/page/uptime.ts, as on Statuspage):
 *   downtime = major-outage minutes × 1 + partial-outage minutes × 0.3
 *   uptime % = 100 × (1 − downtime / minutes observed)
 * where the minutes observed run from the component's creation (or the first day of the 90-day
 * window) up to now; degraded performance and maintenance are not downtime.
 */

describe('the daily uptime rollup', () => {
  let p: TestPharos;
  let rolled: string;
  let fresh: string;
  const TZ = 'Etc/UTC';

  before(async () => {
    p = await startPharos();
    p.clock.set('2026-07-01T00:00:00.000Z');
    rolled = createComponent(p.ctx, system, { name: 'Rolled' }).id;
    p.clock.set('2026-11-10T00:00:00.000Z');
    outage(p, 'Partial', rolled, 'partial_outage', '2026-11-10T08:00:00.000Z', '2026-11-10T12:00:00.000Z');
    p.clock.set('2026-11-14T12:00:00.000Z');
    scheduleMaintenance(p.ctx, system, {
      name: 'Window',
      component_ids: [rolled],
      scheduled_for: '2026-11-15T02:00:00Z',
      scheduled_until: '2026-11-15T04:00:00Z',
      scheduled_remind_prior: 0,
    });
    p.clock.set('2026-11-15T02:00:00.000Z');
    runMaintenanceTransitions(p.ctx, p.clock.now());
    p.clock.set('2026-11-15T04:00:00.000Z');
    runMaintenanceTransitions(p.ctx, p.clock.now());
    // Across midnight: 22:00 on the 21st to 02:00 on the 22nd.
    outage(p, 'Overnight', rolled, 'major_outage', '2026-11-21T22:00:00.000Z', '2026-11-22T02:00:00.000Z');
    p.clock.set('2026-11-25T15:00:00.000Z');
    fresh = createComponent(p.ctx, system, { name: 'Fresh' }).id;
    outage(p, 'Failover', rolled, 'major_outage', '2026-11-29T10:00:00.000Z', '2026-11-29T10:45:00.000Z');
    // Still going on at the end: from 09:00 today.
    outage(p, 'Ongoing', fresh, 'degraded_performance', '2026-11-30T09:00:00.000Z', undefined);
    p.clock.set('2026-11-30T10:07:00.000Z');
  });
  after(async () => {
    await p.close();
  });

  const bars = () => uptimeBars(p.ctx.db, TZ, p.clock.now(), [rolled, fresh]);

  it('writes every finished day of the window once; a second run writes nothing', () => {
    const computed = bars();
    assert.equal(rollupUptime(p.ctx.db, TZ, p.clock.now()), 90 * 2);
    assert.equal(rollupUptime(p.ctx.db, TZ, p.clock.now()), 0);
    const row = p.ctx.db.prepare('SELECT * FROM uptime_days WHERE component_id = ? AND day = ?').get(rolled, '2026-11-29') as {
      major_minutes: number;
      observed_minutes: number;
    };
    assert.equal(row.major_minutes, 45);
    assert.equal(row.observed_minutes, 1440);
    assert.equal(p.ctx.db.prepare("SELECT COUNT(*) FROM uptime_days WHERE day = '2026-11-30'").pluck().get(), 0, 'today is not finished');
    assert.deepEqual(bars(), computed, 'the rolled-up days give the same bars as the history');
  });

  it('the next day rolls up one more day per component, and the bars still match the history', async () => {
    p.clock.set('2026-12-01T00:10:00.000Z');
    const run = await runJob(p.ctx, uptimeJob);
    assert.equal(run?.result, 'ok');
    assert.equal(run?.detail, '2 component-days rolled up');
    assert.equal((await runJob(p.ctx, uptimeJob))?.detail, '0 component-days rolled up');
    const fromRollup = bars();
    const ongoing = fromRollup.get(fresh)?.days.find((d) => d.key === '2026-11-30');
    assert.equal(ongoing?.degraded, 15 * 60, 'the ongoing degradation from 09:00 to midnight');
    assert.equal(fromRollup.get(rolled)?.days.find((d) => d.key === '2026-11-21')?.major, 120);
    assert.equal(fromRollup.get(rolled)?.days.find((d) => d.key === '2026-11-22')?.major, 120);
    assert.equal(fromRollup.get(rolled)?.days.find((d) => d.key === '2026-11-15')?.maintenance, 120);
    assert.equal(fromRollup.get(rolled)?.days.find((d) => d.key === '2026-11-10')?.partial, 240);

    const saved = p.ctx.db.prepare('SELECT COUNT(*) FROM uptime_days').pluck().get() as number;
    p.ctx.db.prepare('DELETE FROM uptime_days').run();
    assert.deepEqual(bars(), fromRollup, 'computed from the history alone: the same bars');
    assert.equal(saved, 90 * 2, 'the day that left the window was dropped');
    assert.equal(rollupUptime(p.ctx.db, TZ, p.clock.now()), saved, 'the whole window again, once');
    assert.deepEqual(bars(), fromRollup);
  });
});
