import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createIncident, patchIncident } from '../../../server/domain/incidents/writes.js';
import { scheduleMaintenance } from '../../../server/domain/incidents/maintenance.js';
import { componentStatus, drain, startWorld, statusOf, stopWorld, system, tick, type World } from './world.js';

/**
 * Scheduled maintenance over time, with an injected clock: the clock is moved by hand, then the
 * maintenance job is run as cron would run it, then the mail worker is drained into a real SMTP server.
 * Nothing sleeps for time to pass.
 *
 * This file: a window and an incident, or two windows, on the same component. The world and its helpers are in ./world.ts.
 */

describe('a window and an incident on the same component', () => {
  let w: World;
  let id = '';
  before(async () => {
    w = await startWorld();
  });
  after(() => stopWorld(w));

  it('an incident opening during the window takes the component, and gives it back to the window when resolved', async () => {
    id = scheduleMaintenance(w.p.ctx, system, {
      name: 'Kernel upgrade',
      scheduled_for: '2026-12-01T02:00:00Z',
      scheduled_until: '2026-12-01T04:00:00Z',
      scheduled_remind_prior: 0,
      component_ids: [w.api],
    }).id;
    await tick(w, '2026-12-01T02:00:00.000Z');
    assert.equal(componentStatus(w, w.api), 'under_maintenance');
    w.p.clock.set('2026-12-01T02:30:00.000Z');
    const incident = createIncident(w.p.ctx, system, { name: 'API errors after the upgrade', components: { [w.api]: 'major_outage' } });
    assert.equal(componentStatus(w, w.api), 'major_outage');
    w.p.clock.set('2026-12-01T03:00:00.000Z');
    patchIncident(w.p.ctx, system, incident.id, { status: 'resolved' });
    assert.equal(
      componentStatus(w, w.api),
      'under_maintenance',
      'the incident is resolved while the window still runs: the component is under maintenance again, not left in outage',
    );
  });

  it('…and the component is operational once the window ends', async () => {
    await tick(w, '2026-12-01T04:00:00.000Z');
    assert.equal(statusOf(w, id), 'completed');
    assert.equal(componentStatus(w, w.api), 'operational', 'no open incident, no window: the component must not stay in outage');
  });

  it('an incident opened before the window and resolved during it leaves the component to the window, then operational', async () => {
    const incident = createIncident(w.p.ctx, system, { name: 'Web slow', components: { [w.web]: 'degraded_performance' } });
    const id2 = scheduleMaintenance(w.p.ctx, system, {
      name: 'Web deploy',
      scheduled_for: '2026-12-02T02:00:00Z',
      scheduled_until: '2026-12-02T04:00:00Z',
      scheduled_remind_prior: 0,
      component_ids: [w.web],
    }).id;
    await tick(w, '2026-12-02T02:00:00.000Z');
    assert.equal(componentStatus(w, w.web), 'degraded_performance', 'held by the incident at the start');
    w.p.clock.set('2026-12-02T03:00:00.000Z');
    patchIncident(w.p.ctx, system, incident.id, { status: 'resolved' });
    await tick(w, '2026-12-02T04:00:00.000Z');
    assert.equal(statusOf(w, id2), 'completed');
    assert.equal(componentStatus(w, w.web), 'operational', 'no open incident, no window: the component must not stay degraded');
  });

  it('two overlapping windows: the first to end leaves the component under maintenance for the other', async () => {
    const a = scheduleMaintenance(w.p.ctx, system, {
      name: 'First',
      scheduled_for: '2026-12-05T02:00:00Z',
      scheduled_until: '2026-12-05T03:00:00Z',
      scheduled_remind_prior: 0,
      component_ids: [w.billing],
    }).id;
    const b = scheduleMaintenance(w.p.ctx, system, {
      name: 'Second',
      scheduled_for: '2026-12-05T02:30:00Z',
      scheduled_until: '2026-12-05T04:00:00Z',
      scheduled_remind_prior: 0,
      component_ids: [w.billing],
    }).id;
    await tick(w, '2026-12-05T02:00:00.000Z');
    await tick(w, '2026-12-05T02:30:00.000Z');
    await tick(w, '2026-12-05T03:00:00.000Z');
    assert.equal(statusOf(w, a), 'completed');
    assert.equal(statusOf(w, b), 'in_progress');
    assert.equal(componentStatus(w, w.billing), 'under_maintenance');
    await tick(w, '2026-12-05T04:00:00.000Z');
    assert.equal(statusOf(w, b), 'completed');
    assert.equal(componentStatus(w, w.billing), 'operational');
    await drain(w);
  });
});
