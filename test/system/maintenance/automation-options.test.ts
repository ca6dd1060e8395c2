import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { getIncident } from '../../../server/domain/incidents/queries.js';
import { scheduleMaintenance } from '../../../server/domain/incidents/maintenance.js';
import {
  ALL,
  API_ONLY,
  componentStatus,
  count,
  drain,
  expectMail,
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
 * This file: the options, automatic transitions and notifications turned off one by one. The world and its helpers are in ./world.ts.
 */

describe('the options: automatic transitions and notifications turned off', () => {
  let w: World;
  before(async () => {
    w = await startWorld();
  });
  after(() => stopWorld(w));

  const v1Patch = (id: string, incident: Record<string, unknown>) =>
    request(w.p.app).patch(`/api/v1/pages/${w.p.ctx.pageId}/incidents/${id}`).set('Authorization', `OAuth ${w.key}`).send({ incident });

  it('with every option off: no mail, no reminder, and it only moves when the operator moves it', async () => {
    const mark = w.smtp.received.length;
    // Unchecked boxes are simply absent from a form post.
    const id = await scheduleByForm(w, {
      name: 'Manual window',
      scheduled_for: '2026-12-01T03:00',
      scheduled_until: '2026-12-01T04:00',
      component_ids: [w.api],
      scheduled_remind_prior: '0',
    });
    const m = getIncident(w.p.ctx.db, id);
    assert.equal(m.scheduled_auto_in_progress, 0);
    assert.equal(m.scheduled_auto_completed, 0);
    assert.equal(m.scheduled_remind_prior, 0);

    await tick(w, '2026-12-01T01:00:00.000Z');
    await tick(w, '2026-12-01T02:00:00.000Z');
    assert.equal(statusOf(w, id), 'scheduled', 'not started automatically');
    assert.equal(componentStatus(w, w.api), 'operational');
    await tick(w, '2026-12-01T03:30:00.000Z');
    assert.equal(statusOf(w, id), 'scheduled', 'not completed automatically');
    assert.equal(remindersQueued(w, id), 0);
    await expectMail(w, mark, [], 'no notification at scheduling, no reminder');

    const started = await v1Patch(id, { status: 'in_progress', deliver_notifications: false });
    assert.equal(started.status, 200, started.text);
    assert.equal(componentStatus(w, w.api), 'under_maintenance');
    await tick(w, '2026-12-01T05:00:00.000Z');
    assert.equal(statusOf(w, id), 'in_progress', 'still not completed automatically after its end');
    const done = await v1Patch(id, { status: 'completed', deliver_notifications: false });
    assert.equal(done.status, 200, done.text);
    assert.equal(componentStatus(w, w.api), 'operational');
    await expectMail(w, mark, [], 'nothing mailed');
  });

  it('automatic transitions without notifications: it starts and completes silently', async () => {
    const mark = w.smtp.received.length;
    const id = await scheduleByForm(w, {
      name: 'Quiet window',
      scheduled_for: '2026-12-02T03:00',
      scheduled_until: '2026-12-02T04:00',
      component_ids: [w.api, w.web],
      scheduled_remind_prior: '0',
      auto_in_progress: 'on',
      auto_completed: 'on',
    });
    await tick(w, '2026-12-02T02:00:00.000Z');
    assert.equal(statusOf(w, id), 'in_progress');
    assert.equal(componentStatus(w, w.api), 'under_maintenance');
    assert.equal(componentStatus(w, w.web), 'under_maintenance');
    await tick(w, '2026-12-02T03:00:00.000Z');
    assert.equal(statusOf(w, id), 'completed');
    assert.equal(componentStatus(w, w.api), 'operational');
    assert.equal(componentStatus(w, w.web), 'operational');
    assert.equal(count(w, 'SELECT COUNT(*) FROM deliveries WHERE thread_id = ?', id), 0, 'nothing queued');
    await expectMail(w, mark, [], 'nothing mailed');
  });

  it('only the start notification off: scheduling and completion are mailed, the start is not', async () => {
    const mark = w.smtp.received.length;
    const id = await scheduleByForm(w, {
      name: 'Half-quiet window',
      scheduled_for: '2026-12-03T03:00',
      scheduled_until: '2026-12-03T04:00',
      component_ids: [w.api],
      scheduled_remind_prior: '0',
      auto_in_progress: 'on',
      auto_completed: 'on',
      notify_now: 'on',
      notify_end: 'on',
    });
    await expectMail(w, mark, to('scheduled', ALL, API_ONLY), 'notified at scheduling');
    const start = w.smtp.received.length;
    await tick(w, '2026-12-03T02:00:00.000Z');
    assert.equal(statusOf(w, id), 'in_progress');
    await expectMail(w, start, [], 'no start notification');
    const end = w.smtp.received.length;
    await tick(w, '2026-12-03T03:00:00.000Z');
    assert.equal(statusOf(w, id), 'completed');
    await expectMail(w, end, to('completed', ALL, API_ONLY), 'the completion notification');
  });

  it('automatic completion without automatic start: the operator starts it, the job completes it', async () => {
    const id = scheduleMaintenance(w.p.ctx, system, {
      name: 'Operator-started window',
      scheduled_for: '2026-12-04T02:00:00Z',
      scheduled_until: '2026-12-04T03:00:00Z',
      scheduled_remind_prior: 0,
      scheduled_auto_in_progress: false,
      scheduled_auto_completed: true,
      deliver_notifications: false,
      component_ids: [w.api],
    }).id;
    await tick(w, '2026-12-04T02:10:00.000Z');
    assert.equal(statusOf(w, id), 'scheduled');
    const res = await v1Patch(id, { status: 'in_progress' });
    assert.equal(res.status, 200, res.text);
    assert.equal(componentStatus(w, w.api), 'under_maintenance');
    await tick(w, '2026-12-04T03:00:00.000Z');
    assert.equal(statusOf(w, id), 'completed');
    assert.equal(componentStatus(w, w.api), 'operational');
    await drain(w);
  });
});
