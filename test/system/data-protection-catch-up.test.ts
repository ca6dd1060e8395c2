import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { getIncident } from '../../server/domain/incidents/queries.js';
import { dataProtectionJob } from '../../server/jobs/data-protection-clock.js';
import { runJob } from '../../server/jobs/schedule.js';
import { addUser, csrfOf, settleMail, signIn, startPharos, type TestPharos } from '../helpers/pharos.js';
import { TestSmtp } from '../helpers/smtp.js';

const system = { type: 'system' } as const;

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
