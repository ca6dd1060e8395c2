import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { cancelMaintenance, patchMaintenance } from '../../../server/domain/incidents/maintenance.js';
import { submit } from '../../helpers/pharos.js';
import type { Received } from '../../helpers/smtp.js';
import {
  ALL,
  API_ONLY,
  componentStatus,
  count,
  drain,
  isMaintenance,
  scheduleByForm,
  startWorld,
  statusOf,
  stopWorld,
  system,
  tick,
  type World,
} from './world.js';

/**
 * What a maintenance mail says, and which windows are refused. The page is in Europe/Paris (UTC+1 in
 * winter); the injected clock starts on 30 November 2026, 10:00 UTC. Mail goes through a real SMTP server.
 */
describe('maintenance windows in the mail, and windows in the past', () => {
  let w: World;
  before(async () => {
    w = await startWorld();
  });
  after(() => stopWorld(w));

  /** The maintenance messages to ALL since `mark`. */
  const mailTo = (mark: number, who = ALL): Received[] => w.smtp.received.slice(mark).filter((r) => isMaintenance(r) && r.to === who);
  const rows = () => count(w, 'SELECT COUNT(*) FROM incidents') + count(w, 'SELECT COUNT(*) FROM deliveries');

  it('every mail of a window (scheduled, moved, reminder, started, completed, cancelled) says when, what, and links the .ics', async () => {
    const mark = w.smtp.received.length;
    // 3 December, 02:00 to 04:00 in Paris.
    const id = await scheduleByForm(w, {
      name: 'Network upgrade',
      body: 'New routers.',
      scheduled_for: '2026-12-03T02:00',
      scheduled_until: '2026-12-03T04:00',
      component_ids: [w.api, w.web],
      scheduled_remind_prior: '60',
      auto_in_progress: 'on',
      auto_completed: 'on',
      notify_now: 'on',
      notify_start: 'on',
      notify_end: 'on',
    });
    await drain(w);
    patchMaintenance(w.p.ctx, system, id, { scheduled_for: '2026-12-03T02:30:00Z', scheduled_until: '2026-12-03T04:30:00Z' });
    await drain(w);
    await tick(w, '2026-12-03T01:30:00.000Z');
    await tick(w, '2026-12-03T02:30:00.000Z');
    await tick(w, '2026-12-03T04:30:00.000Z');
    const got = mailTo(mark);
    assert.deepEqual(
      got.map((r) => /^(Reminder|Scheduled|In progress|Completed)/m.exec((r.mail.text ?? '').replace(/^Network upgrade\n\n/, ''))?.[1]),
      ['Scheduled', 'Scheduled', 'Reminder', 'In progress', 'Completed'],
    );
    const [scheduled, moved, ...later] = got;
    assert.match(scheduled?.mail.text ?? '', /When: 3 Dec 2026, 02:00 UTC\+1 to 3 Dec 2026, 04:00 UTC\+1/, 'the window in Paris time, with its offset');
    assert.match(moved?.mail.text ?? '', /When: 3 Dec 2026, 03:30 UTC\+1 to 3 Dec 2026, 05:30 UTC\+1/, 'the new window');
    assert.match(moved?.mail.text ?? '', /rescheduled: it now runs from 3 Dec 2026, 03:30 UTC\+1 to 3 Dec 2026, 05:30 UTC\+1/);
    for (const r of got) {
      const text = r.mail.text ?? '';
      assert.match(text, /When: 3 Dec 2026, 0\d:\d\d UTC\+1 to 3 Dec 2026, 0\d:\d\d UTC\+1/, text);
      assert.match(text, /Affects: API, Web app/, text);
      assert.match(text, new RegExp(`Add it to your calendar: http://status\\.acme\\.test/incidents/${id}\\.ics`), text);
      assert.match(text, /Follow this maintenance|Details:/);
      const html = String(r.mail.html);
      assert.match(html, /<strong>When:<\/strong> 3 Dec 2026/);
      assert.match(html, new RegExp(`href="http://status\\.acme\\.test/incidents/${id}\\.ics"`));
    }
    assert.equal(later.length, 3);
    assert.equal(mailTo(mark, API_ONLY).length, 5, 'a subscriber of one affected component gets them all too');

    // A cancellation says it as well.
    const other = await scheduleByForm(w, {
      name: 'Storage move',
      scheduled_for: '2026-12-10T02:00',
      scheduled_until: '2026-12-10T03:00',
      component_ids: [w.api],
      notify_now: 'on',
    });
    await drain(w);
    const before = w.smtp.received.length;
    cancelMaintenance(w.p.ctx, system, other, 'Postponed.');
    await drain(w);
    const cancelled = mailTo(before);
    assert.equal(cancelled.length, 1);
    assert.match(cancelled[0]?.mail.text ?? '', /When: 10 Dec 2026, 02:00 UTC\+1 to 10 Dec 2026, 03:00 UTC\+1/);
    assert.match(cancelled[0]?.mail.text ?? '', /Affects: API/);
  });

  it('a window that has already ended is refused, naming the field, in the form and in the API; nothing is written', async () => {
    w.p.clock.set('2026-12-20T10:00:00.000Z');
    const written = rows();
    const res = await submit(await w.admin(), '/admin/maintenance/new', '/admin/maintenance', {
      name: 'Eleven days ago',
      body: 'Typed text stays.',
      scheduled_for: '2026-12-09T02:00',
      scheduled_until: '2026-12-09T04:00',
      component_ids: [w.api],
      notify_now: 'on',
    });
    assert.equal(res.status, 422);
    assert.match(res.text, /id="scheduled_until-error">This window has already ended/);
    assert.match(res.text, /value="Eleven days ago"/, 'what was typed is kept');
    const api = await request(w.p.app)
      .post(`/api/v1/pages/${w.p.ctx.pageId}/incidents`)
      .set('Authorization', `OAuth ${w.key}`)
      .send({ incident: { name: 'Past', status: 'scheduled', scheduled_for: '2026-12-09T01:00:00Z', scheduled_until: '2026-12-09T03:00:00Z' } });
    assert.equal(api.status, 422, api.text);
    assert.match(api.text, /incident\.scheduled_until/);
    assert.equal(rows(), written, 'no window, no delivery');
  });

  it('a window that began but has not ended starts in progress: one mail, its components under maintenance, no reminder', async () => {
    const mark = w.smtp.received.length;
    // 10:00 UTC is 11:00 in Paris: the window runs 10:30 to 12:30 there.
    const id = await scheduleByForm(w, {
      name: 'Already under way',
      scheduled_for: '2026-12-20T10:30',
      scheduled_until: '2026-12-20T12:30',
      component_ids: [w.api],
      scheduled_remind_prior: '60',
      auto_completed: 'on',
      notify_now: 'on',
    });
    assert.equal(statusOf(w, id), 'in_progress');
    assert.equal(componentStatus(w, w.api), 'under_maintenance');
    await drain(w);
    await tick(w);
    const got = mailTo(mark);
    assert.equal(got.length, 1, got.map((r) => r.mail.text).join('\n---\n'));
    assert.match(got[0]?.mail.text ?? '', /^In progress - /m);
    assert.equal(count(w, "SELECT COUNT(*) FROM deliveries WHERE kind = 'maintenance_reminder' AND subject_id = ?", id), 0);
    await tick(w, '2026-12-20T11:30:00.000Z');
    assert.equal(statusOf(w, id), 'completed');
    assert.equal(componentStatus(w, w.api), 'operational');
  });
});
