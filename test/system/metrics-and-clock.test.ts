import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createIncident, patchIncident } from '../../server/domain/incidents/writes.js';
import { getIncident } from '../../server/domain/incidents/queries.js';
import { runMaintenanceTransitions, scheduleMaintenance } from '../../server/domain/incidents/maintenance.js';
import { dataProtectionJob } from '../../server/jobs/data-protection-clock.js';
import { runJob } from '../../server/jobs/schedule.js';
import { addUser, csrfOf, settleMail, signIn, startPharos, type TestPharos } from '../helpers/pharos.js';
import { TestSmtp } from '../helpers/smtp.js';

const system = { type: 'system' } as const;
const HOUR = 3_600_000;

/** The figures (dt → dd) of the first <dl class="figures"> after `marker` in a page. */
function figuresAfter(html: string, marker: string): Record<string, string> {
  const at = html.indexOf(marker);
  assert.ok(at >= 0, `${marker} is on the page`);
  const dl = /<dl class="figures">([\s\S]*?)<\/dl>/.exec(html.slice(at));
  assert.ok(dl, `figures after ${marker}`);
  return Object.fromEntries([...(dl[1] ?? '').matchAll(/<dt>([^<]*)<\/dt><dd>([^<]*)<\/dd>/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
}

/** An incident that started at `start` (backfilled when `created` is later) and was resolved at `resolved`. */
function incident(p: TestPharos, name: string, start: string, resolved?: string, created = start) {
  p.clock.set(created);
  const i = createIncident(p.ctx, system, { name, ...(created !== start ? { started_at: start } : {}) });
  if (resolved) {
    p.clock.set(resolved);
    patchIncident(p.ctx, system, i.id, { status: 'resolved' });
  }
  return i;
}

describe('resolution figures on the history page and the dashboard', () => {
  let p: TestPharos;

  before(async () => {
    p = await startPharos();
    await addUser(p, 'admin@example.com', 'admin');
    incident(p, 'July outage', '2026-07-15T08:00:00.000Z', '2026-07-15T09:00:00.000Z');
    incident(p, 'October outage', '2026-10-20T08:00:00.000Z', '2026-10-20T12:00:00.000Z');
    incident(p, 'One hour', '2026-11-10T08:00:00.000Z', '2026-11-10T09:00:00.000Z');
    incident(p, 'Two hours', '2026-11-12T08:00:00.000Z', '2026-11-12T10:00:00.000Z');
    incident(p, 'Six hours', '2026-11-14T08:00:00.000Z', '2026-11-14T14:00:00.000Z');
    // Backfilled: reported at 09:00 as having started at 08:20, resolved at 11:20 (3 h after its start).
    incident(p, 'Backfilled', '2026-11-16T08:20:00.000Z', '2026-11-16T11:20:00.000Z', '2026-11-16T09:00:00.000Z');
    // Still open, first update 20 minutes after its start.
    incident(p, 'Still open', '2026-11-20T08:00:00.000Z', undefined, '2026-11-20T08:20:00.000Z');
    // Maintenance is not an incident: it does not count.
    p.clock.set('2026-11-21T12:00:00.000Z');
    scheduleMaintenance(p.ctx, system, {
      name: 'November maintenance',
      scheduled_for: '2026-11-22T02:00:00Z',
      scheduled_until: '2026-11-22T08:00:00Z',
      scheduled_remind_prior: 0,
    });
    p.clock.set('2026-11-22T02:00:00.000Z');
    runMaintenanceTransitions(p.ctx, p.clock.now());
    p.clock.set('2026-11-22T08:00:00.000Z');
    runMaintenanceTransitions(p.ctx, p.clock.now());
    p.clock.set('2026-11-30T10:00:00.000Z');
  });
  after(async () => {
    await p.close();
  });

  it("shows each month's incidents with their durations and the month's figures", async () => {
    const page = await request(p.app).get('/history').expect(200);
    // November: 5 incidents; resolved after 1 h, 2 h, 6 h and 3 h → mean 3 h, median (2 h + 3 h) / 2 = 2 h 30 min;
    // first updates after 0, 0, 0, 40 and 20 min → mean 12 min.
    assert.deepEqual(figuresAfter(page.text, '<h2>November 2026</h2>'), {
      Incidents: '5',
      'Mean time to resolve': '3 h',
      'Median time to resolve': '2 h 30 min',
      'Mean time to first update': '12 min',
    });
    const november = page.text.slice(page.text.indexOf('<h2>November 2026</h2>'), page.text.indexOf('<h2>October 2026</h2>'));
    assert.match(november, /One hour<\/a>[\s\S]*?resolved after 1 h</);
    assert.match(november, /Two hours<\/a>[\s\S]*?resolved after 2 h</);
    assert.match(november, /Six hours<\/a>[\s\S]*?resolved after 6 h</);
    assert.match(november, /Backfilled<\/a>[\s\S]*?resolved after 3 h</);
    assert.doesNotMatch(november, /Still open<\/a>[^\n]*resolved after/);
    assert.doesNotMatch(november, /November maintenance/);
    // October: one incident, 4 h, its first update at its start.
    assert.deepEqual(figuresAfter(page.text, '<h2>October 2026</h2>'), {
      Incidents: '1',
      'Mean time to resolve': '4 h',
      'Median time to resolve': '4 h',
      'Mean time to first update': 'under a minute',
    });
    const september = page.text.slice(page.text.indexOf('<h2>September 2026</h2>'));
    assert.match(september.slice(0, september.indexOf('</section>')), /No incidents reported/);
  });

  it('shows the figures for the last 30 and 90 days on the admin dashboard', async () => {
    const admin = await signIn(p, 'admin@example.com');
    const page = await admin.get('/admin').expect(200);
    // Since 31 October 10:00: the five November incidents.
    assert.deepEqual(figuresAfter(page.text, '<h3>Last 30 days</h3>'), {
      Incidents: '5',
      'Mean time to resolve': '3 h',
      'Median time to resolve': '2 h 30 min',
      'Mean time to first update': '12 min',
    });
    // Since 1 September 10:00: October's too (not July's). Resolved after 4, 1, 2, 6 and 3 h → mean 3 h 12 min,
    // median 3 h; first updates after 0, 0, 0, 0, 40 and 20 min → mean 10 min.
    assert.deepEqual(figuresAfter(page.text, '<h3>Last 90 days</h3>'), {
      Incidents: '6',
      'Mean time to resolve': '3 h 12 min',
      'Median time to resolve': '3 h',
      'Mean time to first update': '10 min',
    });
  });
});

describe('the data-protection clock (GDPR Art. 33)', () => {
  let smtp: TestSmtp;
  let p: TestPharos;
  let exposed: string;
  let leaked: string;
  const ADMINS = ['admin1@example.com', 'admin2@example.com'];
  const OPERATOR = 'operator@example.com';

  /** Runs the job at the clock's time, then lets the mail go out. */
  async function tick(): Promise<string | undefined> {
    const run = await runJob(p.ctx, dataProtectionJob);
    assert.equal(run?.result, 'ok', run?.error ?? '');
    await settleMail(p);
    return run?.detail;
  }

  const subjects = (email: string) => smtp.to(email).map((r) => r.mail.subject ?? '');

  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
    p = await startPharos({ env: { SMTP_URL: smtp.url, PUBLIC_URL: 'http://status.acme.test' } });
    for (const email of ADMINS) await addUser(p, email, 'admin');
    await addUser(p, OPERATOR, 'operator');
    exposed = createIncident(p.ctx, system, { name: 'Customer database exposed' }).id;
    leaked = createIncident(p.ctx, system, { name: 'Leaked export' }).id;
  });
  after(async () => {
    await p.close();
    await smtp.stop();
  });

  it('an operator flags an incident with the time of awareness; the dashboard shows the deadline and the time left', async () => {
    const operator = await signIn(p, OPERATOR);
    const page = await operator.get(`/admin/incidents/${exposed}`).expect(200);
    const flagged = await operator
      .post(`/admin/incidents/${exposed}/personal-data`)
      .type('form')
      .send({ _csrf: csrfOf(page.text), personal_data_at_risk: 'on', aware_at: '2026-11-30T09:00' });
    assert.equal(flagged.status, 303);
    const incident = getIncident(p.ctx.db, exposed);
    assert.equal(incident.personal_data_at_risk, 1);
    assert.equal(incident.aware_at, '2026-11-30T09:00:00.000Z');

    const other = await operator.get(`/admin/incidents/${leaked}`).expect(200);
    await operator
      .post(`/admin/incidents/${leaked}/personal-data`)
      .type('form')
      .send({ _csrf: csrfOf(other.text), personal_data_at_risk: 'on', aware_at: '2026-11-30T09:30' })
      .expect(303);

    const admin = await signIn(p, ADMINS[0] as string);
    const dashboard = await admin.get('/admin').expect(200);
    const clock = /<li[^>]*><a href="\/admin\/incidents\/([a-z0-9]+)#data-protection">Customer database exposed<\/a>: ([\s\S]*?)<\/li>/.exec(dashboard.text);
    assert.ok(clock, 'the clock is on the dashboard');
    assert.match(clock[2] ?? '', /notify the supervisory authority by <time datetime="2026-12-03T09:00:00.000Z"[^>]*>[^<]*<\/time> — 2 d 23 h left/);
  });

  it('an operator cannot record the notification (403)', async () => {
    const operator = await signIn(p, OPERATOR);
    const page = await operator.get(`/admin/incidents/${exposed}`).expect(200);
    assert.doesNotMatch(page.text, /action="\/admin\/data-protection\//, 'no form for operators');
    await operator
      .post(`/admin/data-protection/${exposed}/notified`)
      .type('form')
      .send({ _csrf: csrfOf(page.text), notified_at: '2026-11-30T10:00', reference: 'X' })
      .expect(403);
    assert.equal(getIncident(p.ctx.db, exposed).authority_notified_at, null);
  });

  it('an admin records a notification in time; that clock stops and sends no reminders', async () => {
    const admin = await signIn(p, ADMINS[1] as string);
    const page = await admin.get(`/admin/incidents/${leaked}`).expect(200);
    assert.doesNotMatch(page.text, /name="delay_reasons"/, 'no reasons asked before the deadline');
    await admin
      .post(`/admin/data-protection/${leaked}/notified`)
      .type('form')
      .send({ _csrf: csrfOf(page.text), notified_at: '2026-11-30T10:00', reference: 'DPA-2026-0042' })
      .expect(303);
    const incident = getIncident(p.ctx.db, leaked);
    assert.equal(incident.authority_notified_at, '2026-11-30T10:00:00.000Z');
    assert.equal(incident.authority_reference, 'DPA-2026-0042');
    const dashboard = await admin.get('/admin').expect(200);
    assert.doesNotMatch(dashboard.text, /Leaked export<\/a>: notify/);
    assert.match(dashboard.text, /Customer database exposed<\/a>: notify/);
  });

  it('at 48 h each admin gets one reminder, the operator none; running the job again sends nothing', async () => {
    p.clock.set('2026-12-02T09:00:00.000Z');
    assert.equal(await tick(), '2 reminders queued');
    await smtp.until(() => ADMINS.every((a) => smtp.to(a).length === 1));
    for (const a of ADMINS) {
      assert.deepEqual(subjects(a), ['[Action needed] 24 h left to notify the supervisory authority: Customer database exposed']);
    }
    assert.equal(smtp.to(OPERATOR).length, 0);

    p.clock.advance(10 * 60_000);
    assert.equal(await tick(), '');
    assert.equal(smtp.received.length, 2);
  });

  it('at 66 h each admin gets one more, once', async () => {
    p.clock.set('2026-12-03T03:00:00.000Z');
    assert.equal(await tick(), '2 reminders queued');
    await smtp.until(() => ADMINS.every((a) => smtp.to(a).length === 2));
    for (const a of ADMINS) assert.match(subjects(a)[1] ?? '', /^\[Action needed\] 6 h left to notify the supervisory authority: Customer database exposed$/);
    assert.equal(smtp.to(OPERATOR).length, 0);
    p.clock.advance(30 * 60_000);
    assert.equal(await tick(), '');
    assert.equal(smtp.received.length, 4);
    assert.ok(!smtp.received.some((r) => /Leaked export/.test(r.mail.subject ?? '')), 'nothing about the recorded one');
  });

  it('after the deadline the reasons for the delay are required', async () => {
    p.clock.set('2026-12-03T10:00:00.000Z');
    const admin = await signIn(p, ADMINS[0] as string);
    const dashboard = await admin.get('/admin').expect(200);
    assert.match(dashboard.text, /Customer database exposed<\/a>: notify the supervisory authority by <time[^>]*>[^<]*<\/time> — overdue/);
    const page = await admin.get(`/admin/incidents/${exposed}`).expect(200);
    assert.match(page.text, /name="delay_reasons"/);

    const refused = await admin
      .post(`/admin/data-protection/${exposed}/notified`)
      .type('form')
      .send({ _csrf: csrfOf(page.text), notified_at: '2026-12-03T10:00', reference: 'DPA-2026-0043' });
    assert.equal(refused.status, 422);
    assert.match(
      refused.text,
      /<p class="field-error" id="delay_reasons-error">The notification came after the 72 hours: Art\. 33\(1\) requires the reasons for the delay<\/p>/,
    );
    assert.match(refused.text, /value="DPA-2026-0043"/, 'what was typed is kept');
    assert.equal(getIncident(p.ctx.db, exposed).authority_notified_at, null);

    await admin
      .post(`/admin/data-protection/${exposed}/notified`)
      .type('form')
      .send({
        _csrf: csrfOf(refused.text),
        notified_at: '2026-12-03T10:00',
        reference: 'DPA-2026-0043',
        delay_reasons: 'The forensic analysis took longer than planned.',
      })
      .expect(303);
    const incident = getIncident(p.ctx.db, exposed);
    assert.equal(incident.authority_notified_at, '2026-12-03T10:00:00.000Z');
    assert.equal(incident.delay_reasons, 'The forensic analysis took longer than planned.');
    const after = await admin.get('/admin').expect(200);
    assert.doesNotMatch(after.text, /Data-protection clock/);

    p.clock.advance(HOUR);
    assert.equal(await tick(), '');
    assert.equal(smtp.received.length, 4);
  });
});

describe('the data-protection clock catches up after downtime', () => {
  let smtp: TestSmtp;
  let p: TestPharos;
  const ADMINS = ['admin1@example.com', 'admin2@example.com'];

  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
    p = await startPharos({ env: { SMTP_URL: smtp.url, PUBLIC_URL: 'http://status.acme.test', TIME_ZONE: 'Europe/Berlin' } });
    for (const email of ADMINS) await addUser(p, email, 'admin');
    await addUser(p, 'operator@example.com', 'operator');
  });
  after(async () => {
    await p.close();
    await smtp.stop();
  });

  it('a first run at 70 h sends only the 66 h reminder, once', async () => {
    const id = createIncident(p.ctx, system, { name: 'Stolen laptop' }).id;
    // Awareness typed in the page's zone: 11:00 in Berlin is 10:00 UTC.
    const operator = await signIn(p, 'operator@example.com');
    const page = await operator.get(`/admin/incidents/${id}`).expect(200);
    await operator
      .post(`/admin/incidents/${id}/personal-data`)
      .type('form')
      .send({ _csrf: csrfOf(page.text), personal_data_at_risk: 'on', aware_at: '2026-11-30T11:00' })
      .expect(303);
    assert.equal(getIncident(p.ctx.db, id).aware_at, '2026-11-30T10:00:00.000Z');
    p.clock.set('2026-12-03T08:00:00.000Z'); // 70 h
    const run = await runJob(p.ctx, dataProtectionJob);
    assert.equal(run?.detail, '2 reminders queued');
    await smtp.until(() => ADMINS.every((a) => smtp.to(a).length === 1));
    for (const a of ADMINS) {
      const [mail] = smtp.to(a);
      assert.match(mail?.mail.subject ?? '', /^\[Action needed\] 2 h left to notify the supervisory authority: Stolen laptop$/);
      assert.match(mail?.mail.messageId ?? '', new RegExp(`^<dp\\.${id}\\.66h\\.`));
    }
    assert.equal(getIncident(p.ctx.db, id).dp_reminders_sent.split(',').sort().join(','), '48h,66h');

    p.clock.advance(60_000);
    assert.equal((await runJob(p.ctx, dataProtectionJob))?.detail, '');
    await settleMail(p);
    assert.equal(smtp.received.length, 2);
    assert.equal(smtp.to('operator@example.com').length, 0);
  });
});
