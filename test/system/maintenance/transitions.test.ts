import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { Actor } from '../../../server/domain/access/actors.js';
import { createComponent, findComponent } from '../../../server/domain/page/components.js';
import { createIncident, patchIncident } from '../../../server/domain/incidents/writes.js';
import { getIncident } from '../../../server/domain/incidents/queries.js';
import { scheduleMaintenance } from '../../../server/domain/incidents/maintenance.js';
import { confirmToken } from '../../../server/domain/subscribers/tokens.js';
import { confirmSubscription, subscribe } from '../../../server/domain/subscribers/subscribers.js';
import { CATCH_UP } from '../../../server/jobs/registry.js';
import { maintenanceJob } from '../../../server/jobs/maintenance.js';
import { jobRuns, runJob, type JobRun } from '../../../server/jobs/schedule.js';
import { addApiKey, addUser, signIn, submit, type Agent, type TestPharos, startPharos } from '../../helpers/pharos.js';
import { TestSmtp, type Received } from '../../helpers/smtp.js';

/**
 * Scheduled maintenance over time, with an injected clock: the clock is moved by hand, then the
 * maintenance job is run as cron would run it, then the mail worker is drained into a real SMTP server.
 * Nothing sleeps for time to pass.
 */

const system: Actor = { type: 'system' };
const ALL = 'all@example.com';
const API_ONLY = 'api@example.com';
const BILLING_ONLY = 'billing@example.com';
const ADMIN = 'admin@example.com';

type MailWhat = 'reminder' | 'scheduled' | 'in_progress' | 'verifying' | 'completed';
const LABELS: Record<string, MailWhat> = { Scheduled: 'scheduled', 'In progress': 'in_progress', Verifying: 'verifying', Completed: 'completed' };

interface World {
  p: TestPharos;
  smtp: TestSmtp;
  api: string;
  web: string;
  billing: string;
  key: string;
  /** An admin session signed in now: sessions expire as the injected clock moves on by days. */
  admin(): Promise<Agent>;
}

/** A Pharos in Europe/Paris with three components and three confirmed subscribers: everything, the API only, billing only. */
async function startWorld(): Promise<World> {
  const smtp = new TestSmtp();
  await smtp.start();
  const p = await startPharos({
    env: { SMTP_URL: smtp.url, PUBLIC_URL: 'http://status.acme.test', PAGE_NAME: 'ACME Status', TIME_ZONE: 'Europe/Paris' },
  });
  const api = createComponent(p.ctx, system, { name: 'API' }).id;
  const web = createComponent(p.ctx, system, { name: 'Web app' }).id;
  const billing = createComponent(p.ctx, system, { name: 'Billing' }).id;
  confirmed(p, ALL, undefined);
  confirmed(p, API_ONLY, [api]);
  confirmed(p, BILLING_ONLY, [billing]);
  await addUser(p, ADMIN, 'admin');
  const admin = () => signIn(p, ADMIN);
  const key = addApiKey(p);
  // Let the confirmation messages go (or be skipped) before counting anything.
  p.ctx.mail.wake();
  await p.ctx.mail.idle();
  return { p, smtp, api, web, billing, admin, key };
}

async function stopWorld(w: World | undefined): Promise<void> {
  await w?.p.close();
  await w?.smtp.stop();
}

/** A subscriber confirmed through their (computed) confirmation link, as a click would. */
function confirmed(p: TestPharos, email: string, components: string[] | undefined): void {
  subscribe(p.ctx, components ? { email, all: false, components } : { email, all: true });
  const row = p.ctx.db.prepare('SELECT id, confirm_nonce FROM subscribers WHERE email = ?').get(email) as { id: string; confirm_nonce: string };
  assert.ok(confirmSubscription(p.ctx, confirmToken(p.ctx.secret, row.id, row.confirm_nonce)), `${email} confirmed`);
}

/** What a maintenance message is: its reminder, or an update with the status it announces. */
function what(r: Received): MailWhat {
  const text = r.mail.text ?? '';
  if (/^Reminder: scheduled maintenance/.test(text.trim())) return 'reminder';
  const m = /^(Scheduled|In progress|Verifying|Completed) - /m.exec(text);
  assert.ok(m?.[1], `a maintenance message names its status:\n${text}`);
  return LABELS[m[1]] as MailWhat;
}

const isMaintenance = (r: Received) => (r.mail.subject ?? '').startsWith('[Maintenance]');

/** Maintenance messages received since `mark`, as sorted "recipient what" strings. */
function mailSince(w: World, mark: number): string[] {
  return w.smtp.received
    .slice(mark)
    .filter(isMaintenance)
    .map((r) => `${r.to} ${what(r)}`)
    .sort();
}

/** Drains the mail worker; everything due has then been accepted (or refused) by the SMTP server. */
async function drain(w: World): Promise<void> {
  w.p.ctx.mail.wake();
  await w.p.ctx.mail.idle();
}

/** Waits until the expected maintenance messages arrived since `mark`, then checks that nothing else did. */
async function expectMail(w: World, mark: number, expected: string[], where: string): Promise<void> {
  await drain(w);
  // Drained means delivered, so this wait is only a safety margin; a shortfall is reported by the assertion below.
  await w.smtp.until(() => mailSince(w, mark).length >= expected.length, 2000).catch(() => undefined);
  await drain(w);
  assert.deepEqual(mailSince(w, mark), [...expected].sort(), where);
}

const to = (kind: MailWhat, ...recipients: string[]) => recipients.map((r) => `${r} ${kind}`);

/** Moves the clock (if asked), runs the maintenance job once as cron would, and lets the mail go. */
async function tick(w: World, at?: string): Promise<JobRun> {
  if (at) w.p.clock.set(at);
  const run = await runJob(w.p.ctx, maintenanceJob);
  assert.ok(run, 'the job ran');
  assert.equal(run.result, 'ok', `the maintenance job succeeded: ${run.error ?? ''}`);
  await drain(w);
  return run;
}

const statusOf = (w: World, id: string) => getIncident(w.p.ctx.db, id).status;
const componentStatus = (w: World, id: string) => findComponent(w.p.ctx.db, id)?.status;
const count = (w: World, sql: string, ...args: unknown[]) =>
  w.p.ctx.db
    .prepare(sql)
    .pluck()
    .get(...args) as number;
const remindersQueued = (w: World, id: string) => count(w, "SELECT COUNT(*) FROM deliveries WHERE kind = 'maintenance_reminder' AND subject_id = ?", id);

/** Schedules through the admin form as an operator types it: local times in the page's zone (Europe/Paris). */
async function scheduleByForm(w: World, fields: Record<string, string | string[]>): Promise<string> {
  const res = await submit(await w.admin(), '/admin/maintenance/new', '/admin/maintenance', fields);
  assert.equal(res.status, 303, `the form was accepted: ${res.text.slice(0, 500)}`);
  const m = /^\/admin\/incidents\/([a-z0-9]+)$/.exec(String(res.headers.location));
  assert.ok(m?.[1], `redirected to the window's page, got ${String(res.headers.location)}`);
  return m[1];
}

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
    assert.match(moved?.mail.text ?? '', /2026-12-02 02:00/, 'the new start is said');

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
    await expectMail(w, mark, to('completed', ALL, API_ONLY), 'the cancellation is announced');
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
    await expectMail(w, mark, to('completed', ALL, API_ONLY), 'the cancellation is announced');
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
