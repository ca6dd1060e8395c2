import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createIncident } from '../../../server/domain/incidents/writes.js';
import { getIncident } from '../../../server/domain/incidents/queries.js';
import { jobRuns } from '../../../server/jobs/schedule.js';
import { submit } from '../../helpers/pharos.js';
import {
  ALL,
  API_ONLY,
  BILLING_ONLY,
  componentStatus,
  count,
  drain,
  expectMail,
  isMaintenance,
  remindersQueued,
  scheduleByForm,
  startWorld,
  statusOf,
  stopWorld,
  system,
  tick,
  to,
  type World,
} from './world.js';

/**
 * Scheduled maintenance over time, with an injected clock: the clock is moved by hand, then the
 * maintenance job is run as cron would run it, then the mail worker is drained into a real SMTP server.
 * Nothing sleeps for time to pass.
 *
 * This file: one window from scheduling (in the page time zone) through its reminder, its start and its completion, with an incident holding one of its components. The world and its helpers are in ./world.ts.
 */

describe('a maintenance window from scheduling to completion', () => {
  let w: World;
  let id = '';
  let incidentId = '';
  before(async () => {
    w = await startWorld();
  });
  after(() => stopWorld(w));

  it('is scheduled from the admin form in the page time zone and shown with its offset', async () => {
    const mark = w.smtp.received.length;
    id = await scheduleByForm(w, {
      name: 'Database upgrade',
      body: 'We are upgrading the primary database.',
      // 03:00 to 05:00 in Paris on 1 December is 02:00 to 04:00 UTC (UTC+1 in winter).
      scheduled_for: '2026-12-01T03:00',
      scheduled_until: '2026-12-01T05:00',
      component_ids: [w.api, w.web],
      scheduled_remind_prior: '60',
      auto_in_progress: 'on',
      auto_completed: 'on',
      notify_now: 'on',
      notify_start: 'on',
      notify_end: 'on',
    });
    const m = getIncident(w.p.ctx.db, id);
    assert.equal(m.kind, 'maintenance');
    assert.equal(m.status, 'scheduled');
    assert.equal(m.impact, 'maintenance');
    assert.equal(m.scheduled_for, '2026-12-01T02:00:00.000Z');
    assert.equal(m.scheduled_until, '2026-12-01T04:00:00.000Z');
    assert.equal(m.scheduled_remind_prior, 60);
    assert.deepEqual(m.components.map((c) => c.id).sort(), [w.api, w.web].sort());

    const agent = await w.admin();
    const page = await agent.get(`/admin/incidents/${id}`).expect(200);
    assert.match(page.text, /1 Dec 2026, 03:00 UTC\+1/, 'the start in Paris time with its offset');
    assert.match(page.text, /1 Dec 2026, 05:00 UTC\+1/, 'the end in Paris time with its offset');
    // The reschedule form offers the same local times back.
    const form = await agent.get(`/admin/maintenance/${id}/reschedule`).expect(200);
    assert.match(form.text, /name="scheduled_for"[^>]*value="2026-12-01T03:00"/);
    assert.match(form.text, /name="scheduled_until"[^>]*value="2026-12-01T05:00"/);

    assert.equal(componentStatus(w, w.api), 'operational', 'nothing changes before the window');
    assert.equal(componentStatus(w, w.web), 'operational');
    await expectMail(w, mark, to('scheduled', ALL, API_ONLY), 'scheduling notifies subscribers of everything and of an affected component only');
  });

  it('an incident holding one of the components opens before the window', async () => {
    incidentId = createIncident(w.p.ctx, system, { name: 'Web app down', components: { [w.web]: 'major_outage' } }).id;
    assert.equal(componentStatus(w, w.web), 'major_outage');
    await drain(w);
  });

  it('does nothing before the reminder is due', async () => {
    const mark = w.smtp.received.length;
    const run = await tick(w);
    assert.equal(run.detail, '');
    await tick(w, '2026-12-01T00:59:59.000Z');
    assert.equal(remindersQueued(w, id), 0);
    assert.equal(statusOf(w, id), 'scheduled');
    await expectMail(w, mark, [], 'no mail before the reminder time');
  });

  it('sends the reminder 60 minutes before, once, to the same subscribers', async () => {
    const mark = w.smtp.received.length;
    const run = await tick(w, '2026-12-01T01:00:00.000Z');
    assert.match(run.detail, /1 reminders/);
    const recorded = jobRuns(w.p.ctx).get('maintenance');
    assert.equal(recorded?.result, 'ok');
    assert.equal(recorded?.started_at, '2026-12-01T01:00:00.000Z', 'the run is recorded with its time');
    await expectMail(w, mark, to('reminder', ALL, API_ONLY), 'the reminder goes to the affected subscribers');
    const reminder = w.smtp.received.slice(mark).find((r) => isMaintenance(r) && r.to === ALL);
    assert.match(reminder?.mail.text ?? '', /Database upgrade/);
    assert.match(reminder?.mail.text ?? '', /1 Dec 2026, 03:00 UTC\+1/, 'the start in the page zone, with its offset');
    assert.match(reminder?.mail.text ?? '', /https?:\/\/status\.acme\.test\/incidents\/[a-z0-9]+\.ics/, 'with a calendar link');

    const again = w.smtp.received.length;
    for (const at of ['2026-12-01T01:00:30.000Z', '2026-12-01T01:01:00.000Z', '2026-12-01T01:59:00.000Z']) {
      const rerun = await tick(w, at);
      assert.equal(rerun.detail, '', `nothing to do at ${at}`);
    }
    assert.equal(remindersQueued(w, id), 2, 'one reminder per subscriber, ever');
    await expectMail(w, again, [], 'running the job again sends nothing more');
    assert.equal(statusOf(w, id), 'scheduled');
    assert.equal(componentStatus(w, w.api), 'operational');
  });

  it('starts at its start: in progress, components under maintenance except the one the incident holds', async () => {
    const mark = w.smtp.received.length;
    await tick(w, '2026-12-01T01:59:59.999Z');
    assert.equal(statusOf(w, id), 'scheduled', 'not a millisecond early');

    const run = await tick(w, '2026-12-01T02:00:00.000Z');
    assert.match(run.detail, /1 started/);
    assert.equal(statusOf(w, id), 'in_progress');
    assert.equal(componentStatus(w, w.api), 'under_maintenance');
    assert.equal(componentStatus(w, w.web), 'major_outage', 'the open incident keeps its outage status');
    assert.equal(componentStatus(w, w.billing), 'operational');
    await expectMail(w, mark, to('in_progress', ALL, API_ONLY), 'the start notification');

    const again = w.smtp.received.length;
    assert.equal((await tick(w, '2026-12-01T02:01:00.000Z')).detail, '', 'idempotent');
    await tick(w, '2026-12-01T03:59:00.000Z');
    assert.equal(statusOf(w, id), 'in_progress');
    await expectMail(w, again, [], 'nothing more during the window');
  });

  it('completes at its end: components back to operational, the held one keeps the incident status', async () => {
    const mark = w.smtp.received.length;
    const run = await tick(w, '2026-12-01T04:00:00.000Z');
    assert.match(run.detail, /1 completed/);
    const m = getIncident(w.p.ctx.db, id);
    assert.equal(m.status, 'completed');
    assert.ok(m.resolved_at, 'a completed window has its resolution time');
    assert.equal(componentStatus(w, w.api), 'operational');
    assert.equal(componentStatus(w, w.web), 'major_outage', 'still held by the open incident');
    assert.equal(getIncident(w.p.ctx.db, incidentId).status, 'investigating');
    await expectMail(w, mark, to('completed', ALL, API_ONLY), 'the completion notification');

    const again = w.smtp.received.length;
    assert.equal((await tick(w, '2026-12-01T05:00:00.000Z')).detail, '');
    await expectMail(w, again, [], 'nothing more after the end');
    assert.deepEqual(m.incident_updates.map((u) => u.status).reverse(), ['scheduled', 'in_progress', 'completed'], 'one update per transition');
  });

  it('reads summer times with the summer offset, and refuses a local time the clocks skip', async () => {
    const summer = await scheduleByForm(w, {
      name: 'Summer window',
      scheduled_for: '2027-07-01T03:00',
      scheduled_until: '2027-07-01T04:00',
      component_ids: [w.billing],
      scheduled_remind_prior: '0',
    });
    const m = getIncident(w.p.ctx.db, summer);
    assert.equal(m.scheduled_for, '2027-07-01T01:00:00.000Z', 'UTC+2 in July');
    assert.equal(m.scheduled_until, '2027-07-01T02:00:00.000Z');
    const page = await (await w.admin()).get(`/admin/incidents/${summer}`).expect(200);
    assert.match(page.text, /1 Jul 2027, 03:00 UTC\+2/);
    // 02:30 on 28 March 2027 does not exist in Paris (clocks go from 02:00 to 03:00).
    const before = count(w, 'SELECT COUNT(*) FROM incidents');
    const gap = await submit(await w.admin(), '/admin/maintenance/new', '/admin/maintenance', {
      name: 'In the gap',
      scheduled_for: '2027-03-28T02:30',
      scheduled_until: '2027-03-28T04:00',
      scheduled_remind_prior: '0',
    });
    assert.equal(gap.status, 422);
    assert.equal(count(w, 'SELECT COUNT(*) FROM incidents'), before);
    // An end before the start is refused by the form too, keeping what was typed.
    const backwards = await submit(await w.admin(), '/admin/maintenance/new', '/admin/maintenance', {
      name: 'Backwards',
      scheduled_for: '2027-01-10T04:00',
      scheduled_until: '2027-01-10T03:00',
      scheduled_remind_prior: '0',
    });
    assert.equal(backwards.status, 422);
    assert.match(backwards.text, /The end must be after the start/);
    assert.equal(count(w, 'SELECT COUNT(*) FROM incidents'), before);
  });

  it('never mailed the subscriber of another component', () => {
    assert.equal(w.smtp.to(BILLING_ONLY).filter(isMaintenance).length, 0);
    assert.equal(count(w, "SELECT COUNT(*) FROM deliveries WHERE recipient = ? AND kind IN ('incident_update', 'maintenance_reminder')", BILLING_ONLY), 0);
  });
});
