import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getIncident } from '../../../server/domain/incidents/queries.js';
import { scheduleMaintenance } from '../../../server/domain/incidents/maintenance.js';
import { CATCH_UP } from '../../../server/jobs/registry.js';
import { maintenanceJob } from '../../../server/jobs/maintenance.js';
import { runJob } from '../../../server/jobs/schedule.js';
import { ALL, API_ONLY, componentStatus, drain, expectMail, remindersQueued, startWorld, statusOf, stopWorld, system, tick, to, type World } from './world.js';

/**
 * Scheduled maintenance over time, with an injected clock: the clock is moved by hand, then the
 * maintenance job is run as cron would run it, then the mail worker is drained into a real SMTP server.
 * Nothing sleeps for time to pass.
 *
 * This file: catching up after Pharos was down, with starts, reminders and ends that fell due meanwhile. The world and its helpers are in ./world.ts.
 */

describe('catching up after Pharos was down', () => {
  let w: World;
  before(async () => {
    w = await startWorld();
  });
  after(() => stopWorld(w));

  const window = (name: string, from: string, until: string, remind: number, components: string[]) =>
    scheduleMaintenance(w.p.ctx, system, {
      name,
      scheduled_for: from,
      scheduled_until: until,
      scheduled_remind_prior: remind,
      component_ids: components,
    }).id;

  it('runs the maintenance job at start-up, and never twice at once', async () => {
    assert.ok(CATCH_UP.includes(maintenanceJob.id));
    const [a, b] = await Promise.all([runJob(w.p.ctx, maintenanceJob), runJob(w.p.ctx, maintenanceJob)]);
    assert.ok(a, 'the first run happens');
    assert.equal(b, undefined, 'a run while one is going on is skipped');
  });

  it('starts late a window whose start passed while down, and never sends its reminder', async () => {
    const id = window('Network maintenance', '2026-12-01T02:00:00Z', '2026-12-01T04:00:00Z', 60, [w.api, w.web]);
    await expectMail(w, 0, to('scheduled', ALL, API_ONLY), 'scheduling notifies');
    const mark = w.smtp.received.length;

    // Down from before the reminder time until half an hour into the window.
    const run = await tick(w, '2026-12-01T02:30:00.000Z');
    assert.match(run.detail, /1 started/);
    assert.match(run.detail, /0 reminders/);
    const m = getIncident(w.p.ctx.db, id);
    assert.equal(m.status, 'in_progress');
    assert.equal(componentStatus(w, w.api), 'under_maintenance');
    assert.equal(componentStatus(w, w.web), 'under_maintenance');
    assert.equal(remindersQueued(w, id), 0, 'no reminder for a window that has begun');
    await expectMail(w, mark, to('in_progress', ALL, API_ONLY), 'the late start is announced, without a reminder');

    const again = w.smtp.received.length;
    await tick(w, '2026-12-01T02:31:00.000Z');
    await tick(w, '2026-12-01T03:00:00.000Z');
    assert.equal(remindersQueued(w, id), 0, 'still no reminder later');
    await expectMail(w, again, [], 'nothing more');

    const end = w.smtp.received.length;
    await tick(w, '2026-12-01T04:00:00.000Z');
    assert.equal(statusOf(w, id), 'completed');
    assert.equal(componentStatus(w, w.api), 'operational');
    assert.equal(componentStatus(w, w.web), 'operational');
    await expectMail(w, end, to('completed', ALL, API_ONLY), 'completion');
  });

  it('sends a reminder that fell due while down, late, if the window has not begun', async () => {
    const id = window('Search reindex', '2026-12-01T08:00:00Z', '2026-12-01T09:00:00Z', 120, [w.api]);
    await drain(w);
    const mark = w.smtp.received.length;
    // The reminder was due at 06:00; Pharos is back at 07:30, before the start.
    await tick(w, '2026-12-01T07:30:00.000Z');
    assert.equal(statusOf(w, id), 'scheduled');
    await expectMail(w, mark, to('reminder', ALL, API_ONLY), 'the late reminder');
    const again = w.smtp.received.length;
    await tick(w, '2026-12-01T07:45:00.000Z');
    await expectMail(w, again, [], 'still only once');
    await tick(w, '2026-12-01T08:00:00.000Z');
    await tick(w, '2026-12-01T09:00:00.000Z');
    assert.equal(statusOf(w, id), 'completed');
    await drain(w);
  });

  it('completes a window missed entirely, without a start notification or a reminder', async () => {
    const id = window('Storage migration', '2026-12-02T02:00:00Z', '2026-12-02T03:00:00Z', 60, [w.api, w.web]);
    await drain(w);
    const mark = w.smtp.received.length;
    const run = await tick(w, '2026-12-02T05:00:00.000Z');
    assert.match(run.detail, /1 completed/);
    const m = getIncident(w.p.ctx.db, id);
    assert.equal(m.status, 'completed');
    assert.equal(componentStatus(w, w.api), 'operational', 'components back to operational');
    assert.equal(componentStatus(w, w.web), 'operational');
    assert.equal(remindersQueued(w, id), 0);
    await expectMail(w, mark, to('completed', ALL, API_ONLY), 'only the completion is mailed');
    const again = w.smtp.received.length;
    await tick(w, '2026-12-02T05:01:00.000Z');
    await expectMail(w, again, [], 'once');
  });
});
