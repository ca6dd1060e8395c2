import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { getIncident } from '../../server/domain/incidents/queries.js';
import { dataProtectionJob } from '../../server/jobs/data-protection-clock.js';
import { runJob } from '../../server/jobs/schedule.js';
import { addUser, csrfOf, settleMail, signIn, startPharos, type TestPharos } from '../helpers/pharos.js';
import { TestSmtp } from '../helpers/smtp.js';

const system = { type: 'system' } as const;
const HOUR = 3_600_000;

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
