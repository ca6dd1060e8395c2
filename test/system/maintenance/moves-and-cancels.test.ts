import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createIncident, patchIncident } from '../../../server/domain/incidents/writes.js';
import { getIncident } from '../../../server/domain/incidents/queries.js';
import { scheduleMaintenance } from '../../../server/domain/incidents/maintenance.js';
import { submit } from '../../helpers/pharos.js';
import {
  ALL,
  API_ONLY,
  componentStatus,
  drain,
  expectMail,
  isMaintenance,
  remindersQueued,
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
 * This file: a window moved (through the management API and the admin form), extended and cancelled, before and while it runs, and its reminder re-armed. The world and its helpers are in ./world.ts.
 */

describe('moving and cancelling a window', () => {
  let w: World;
  let id = '';
  before(async () => {
    w = await startWorld();
  });
  after(() => stopWorld(w));

  const v1 = () => `/api/v1/pages/${w.p.ctx.pageId}`;

  it('schedules, and sends the reminder for the first time', async () => {
    id = scheduleMaintenance(w.p.ctx, system, {
      name: 'Load balancer replacement',
      scheduled_for: '2026-12-01T02:00:00Z',
      scheduled_until: '2026-12-01T04:00:00Z',
      scheduled_remind_prior: 60,
      component_ids: [w.api, w.web],
    }).id;
    await drain(w);
    const mark = w.smtp.received.length;
    await tick(w, '2026-12-01T01:00:00.000Z');
    await expectMail(w, mark, to('reminder', ALL, API_ONLY), 'first reminder');
  });

  it('moved through the management API: subscribers are told, the old start passes, the reminder is re-armed', async () => {
    const mark = w.smtp.received.length;
    w.p.clock.set('2026-12-01T01:10:00.000Z');
    const res = await request(w.p.app)
      .patch(`${v1()}/incidents/${id}`)
      .set('Authorization', `OAuth ${w.key}`)
      .send({ incident: { scheduled_for: '2026-12-02T02:00:00Z', scheduled_until: '2026-12-02T04:00:00Z' } });
    assert.equal(res.status, 200, res.text);
    const body = res.body as { scheduled_for: string; scheduled_until: string; status: string };
    assert.equal(body.scheduled_for, '2026-12-02T02:00:00.000Z');
    assert.equal(body.scheduled_until, '2026-12-02T04:00:00.000Z');
    assert.equal(body.status, 'scheduled');
    await expectMail(w, mark, to('scheduled', ALL, API_ONLY), 'the move is announced');
    const moved = w.smtp.received.slice(mark).find((r) => isMaintenance(r) && r.to === API_ONLY);
    assert.match(moved?.mail.text ?? '', /rescheduled/i);
    assert.match(moved?.mail.text ?? '', /rescheduled: it now runs from 2 Dec 2026, 03:00 UTC\+1/, 'the new start is said, in the page zone with its offset');

    const old = w.smtp.received.length;
    await tick(w, '2026-12-01T02:00:00.000Z');
    assert.equal(statusOf(w, id), 'scheduled', 'does not start at the old time');
    assert.equal(componentStatus(w, w.api), 'operational');
    await tick(w, '2026-12-02T00:59:00.000Z');
    await expectMail(w, old, [], 'nothing at the old start, nor before the new reminder time');

    const remind = w.smtp.received.length;
    await tick(w, '2026-12-02T01:00:00.000Z');
    await expectMail(w, remind, to('reminder', ALL, API_ONLY), 'a reminder before the new start');
    await tick(w, '2026-12-02T01:30:00.000Z');
    assert.equal(remindersQueued(w, id), 4, 'two reminders each: one per start');
  });

  it('moved through the admin form in Paris time: told again, reminded again', async () => {
    const mark = w.smtp.received.length;
    const res = await submit(await w.admin(), `/admin/maintenance/${id}/reschedule`, `/admin/maintenance/${id}/reschedule`, {
      scheduled_for: '2026-12-03T10:00',
      scheduled_until: '2026-12-03T11:30',
      body: '',
      notify: 'on',
    });
    assert.equal(res.status, 303, res.text.slice(0, 500));
    const m = getIncident(w.p.ctx.db, id);
    assert.equal(m.scheduled_for, '2026-12-03T09:00:00.000Z', '10:00 in Paris');
    assert.equal(m.scheduled_until, '2026-12-03T10:30:00.000Z');
    assert.equal(m.reminded_at, null, 're-armed');
    await expectMail(w, mark, to('scheduled', ALL, API_ONLY), 'the move is announced');

    await tick(w, '2026-12-02T02:00:00.000Z');
    assert.equal(statusOf(w, id), 'scheduled', 'not started at the previous time');
    const remind = w.smtp.received.length;
    await tick(w, '2026-12-03T08:00:00.000Z');
    await expectMail(w, remind, to('reminder', ALL, API_ONLY), 'the re-armed reminder');
  });

  it('cancelled before it starts: subscribers are told, nothing happens at its time', async () => {
    const mark = w.smtp.received.length;
    w.p.clock.set('2026-12-03T08:30:00.000Z');
    const res = await submit(await w.admin(), `/admin/maintenance/${id}/cancel`, `/admin/maintenance/${id}/cancel`, {});
    assert.equal(res.status, 303, res.text.slice(0, 500));
    const m = getIncident(w.p.ctx.db, id);
    assert.equal(m.status, 'completed');
    assert.ok(m.cancelled_at, 'marked cancelled');
    await expectMail(w, mark, to('cancelled', ALL, API_ONLY), 'the cancellation is announced');
    const told = w.smtp.received.slice(mark).find((r) => isMaintenance(r) && r.to === ALL);
    assert.match(told?.mail.text ?? '', /cancelled/i);

    const later = w.smtp.received.length;
    await tick(w, '2026-12-03T09:00:00.000Z');
    await tick(w, '2026-12-03T11:00:00.000Z');
    assert.equal(componentStatus(w, w.api), 'operational');
    assert.equal(componentStatus(w, w.web), 'operational');
    await expectMail(w, later, [], 'nothing at the cancelled window time');
  });

  it('cancelled while in progress: components go back, the one an incident holds keeps its status', async () => {
    const incident = createIncident(w.p.ctx, system, { name: 'Web errors', components: { [w.web]: 'partial_outage' } });
    const id2 = scheduleMaintenance(w.p.ctx, system, {
      name: 'Cache flush',
      scheduled_for: '2026-12-04T02:00:00Z',
      scheduled_until: '2026-12-04T04:00:00Z',
      scheduled_remind_prior: 0,
      component_ids: [w.api, w.web],
    }).id;
    await drain(w);
    await tick(w, '2026-12-04T02:00:00.000Z');
    assert.equal(statusOf(w, id2), 'in_progress');
    assert.equal(componentStatus(w, w.api), 'under_maintenance');
    assert.equal(componentStatus(w, w.web), 'partial_outage');

    const mark = w.smtp.received.length;
    w.p.clock.set('2026-12-04T02:30:00.000Z');
    const res = await submit(await w.admin(), `/admin/maintenance/${id2}/cancel`, `/admin/maintenance/${id2}/cancel`, {});
    assert.equal(res.status, 303, res.text.slice(0, 500));
    assert.equal(statusOf(w, id2), 'completed');
    assert.equal(componentStatus(w, w.api), 'operational');
    assert.equal(componentStatus(w, w.web), 'partial_outage', 'held by the open incident');
    await expectMail(w, mark, to('cancelled', ALL, API_ONLY), 'the cancellation is announced');
    patchIncident(w.p.ctx, system, incident.id, { status: 'resolved' });
    assert.equal(componentStatus(w, w.web), 'operational');
    await drain(w);
  });

  it('extended while in progress: subscribers are told, it completes at the new end', async () => {
    const id3 = scheduleMaintenance(w.p.ctx, system, {
      name: 'Index rebuild',
      scheduled_for: '2026-12-08T02:00:00Z',
      scheduled_until: '2026-12-08T03:00:00Z',
      scheduled_remind_prior: 0,
      component_ids: [w.api],
    }).id;
    await tick(w, '2026-12-08T02:00:00.000Z');
    assert.equal(statusOf(w, id3), 'in_progress');
    const mark = w.smtp.received.length;
    w.p.clock.set('2026-12-08T02:30:00.000Z');
    const res = await request(w.p.app)
      .patch(`${v1()}/incidents/${id3}`)
      .set('Authorization', `OAuth ${w.key}`)
      .send({ incident: { scheduled_until: '2026-12-08T04:00:00Z' } });
    assert.equal(res.status, 200, res.text);
    await expectMail(w, mark, to('in_progress', ALL, API_ONLY), 'the extension is announced');
    await tick(w, '2026-12-08T03:00:00.000Z');
    assert.equal(statusOf(w, id3), 'in_progress', 'not completed at the old end');
    assert.equal(componentStatus(w, w.api), 'under_maintenance');
    await tick(w, '2026-12-08T04:00:00.000Z');
    assert.equal(statusOf(w, id3), 'completed');
    assert.equal(componentStatus(w, w.api), 'operational');
    await drain(w);
  });

  it('moved after its reminder went: re-armed for the new time, or, moved closer than the reminder time, the move notice is the reminder', async () => {
    const id4 = scheduleMaintenance(w.p.ctx, system, {
      name: 'Firewall rules',
      scheduled_for: '2026-12-10T02:00:00Z',
      scheduled_until: '2026-12-10T03:00:00Z',
      scheduled_remind_prior: 60,
      component_ids: [w.api],
    }).id;
    await tick(w, '2026-12-10T01:00:00.000Z');
    assert.equal(remindersQueued(w, id4), 2);
    const patch = (incident: Record<string, unknown>) =>
      request(w.p.app).patch(`${v1()}/incidents/${id4}`).set('Authorization', `OAuth ${w.key}`).send({ incident });
    // Moved a day later: re-armed, and the reminder goes an hour before the new start.
    w.p.clock.set('2026-12-10T01:05:00.000Z');
    assert.equal((await patch({ scheduled_for: '2026-12-11T02:00:00Z', scheduled_until: '2026-12-11T03:00:00Z' })).status, 200);
    assert.equal(getIncident(w.p.ctx.db, id4).reminded_at, null, 're-armed by the move');
    await drain(w);
    let mark = w.smtp.received.length;
    const run = await tick(w, '2026-12-11T01:01:00.000Z');
    assert.match(run.detail, /1 reminders/);
    await expectMail(w, mark, to('reminder', ALL, API_ONLY), 'the re-armed reminder goes out');
    // Moved again to 50 minutes from now: the "rescheduled" notice goes, and no reminder right after it.
    w.p.clock.set('2026-12-11T01:10:00.000Z');
    assert.equal((await patch({ scheduled_for: '2026-12-11T02:00:00Z', scheduled_until: '2026-12-11T04:00:00Z' })).status, 200);
    assert.notEqual(getIncident(w.p.ctx.db, id4).reminded_at, null, 'closer than the reminder time: no separate reminder');
    await drain(w);
    mark = w.smtp.received.length;
    const later = await tick(w, '2026-12-11T01:15:00.000Z');
    assert.doesNotMatch(later.detail, /reminders/);
    await drain(w);
    assert.equal(w.smtp.received.length, mark);
  });
});
