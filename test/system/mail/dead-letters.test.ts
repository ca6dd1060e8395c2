import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createIncident } from '../../../server/domain/incidents/writes.js';
import { addUser, csrfOf, signIn, startPharos, type TestPharos, settleMail as settle } from '../../helpers/pharos.js';
import { TestSmtp } from '../../helpers/smtp.js';
import { ACCEPT, MINUTE, addConfirmed, clockTo, offers, onlyDeliveryTo, system } from './deliveries.js';

/**
 * What happens when the SMTP server says no, or is not there: 4xx retried with backoff, 5xx failed
 * for good (and bounced after three), SMTP down for an hour, and dead letters past MAIL_MAX_AGE_HOURS.
 * Time is the FakeClock's: the worker is woken by hand after moving it.
 */

describe('messages past MAIL_MAX_AGE_HOURS that keep failing are dead-lettered, and can be retried', () => {
  let smtp: TestSmtp;
  let p: TestPharos;
  let accepting = false;

  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
    p = await startPharos({ env: { SMTP_URL: smtp.url, MAIL_MAX_AGE_HOURS: '1' } });
    await addUser(p, 'admin@example.com');
    addConfirmed(p, ['stuck@example.com', 'steady@example.com']);
  });
  after(async () => {
    await p?.close();
    await smtp?.stop();
  });

  it('retried until an hour old, then dead; listed in admin; the retry button sends it once the server accepts', async () => {
    offers(smtp, (to) => (to === 'stuck@example.com' && !accepting ? { accept: false, code: 452, message: '4.2.2 Mailbox full' } : ACCEPT));
    createIncident(p.ctx, system, { name: 'Queue backlog', status: 'investigating' });
    await smtp.until(() => smtp.to('steady@example.com').length === 1);
    await settle(p);

    const maxAge = 3_600_000;
    let row = onlyDeliveryTo(p, 'stuck@example.com');
    const created = Date.parse(row.created_at);
    for (let i = 0; i < 20 && row.state === 'queued'; i++) {
      clockTo(p, row.next_attempt_at);
      const age = p.clock.now().getTime() - created;
      await settle(p);
      row = onlyDeliveryTo(p, 'stuck@example.com');
      assert.equal(row.state, age >= maxAge ? 'dead' : 'queued', `attempt ${row.attempts} at ${Math.round(age / MINUTE)} min old`);
    }
    assert.equal(row.state, 'dead');
    assert.ok(row.attempts >= 5, `retried several times before giving up (${row.attempts})`);
    assert.match(row.last_error ?? '', /452|Mailbox full/);
    assert.equal(smtp.to('stuck@example.com').length, 0);

    const admin = await signIn(p, 'admin@example.com');
    const page = await admin.get('/admin/mail').expect(200);
    assert.match(page.text, /\b1 given up\b/);
    const deadSection = page.text.slice(page.text.indexOf('Given up'), page.text.indexOf('Recent permanent failures'));
    assert.match(deadSection, /stuck@example\.com/, 'the dead letter is listed');
    assert.doesNotMatch(deadSection, /steady@example\.com/);

    // Still refused: nothing happens by itself, however long we wait.
    p.clock.advance(5 * 60 * MINUTE);
    await settle(p);
    assert.equal(onlyDeliveryTo(p, 'stuck@example.com').state, 'dead');

    accepting = true;
    // (The fake clock moved past the session's idle limit: sign in again and take the token from a fresh page.)
    const again = await signIn(p, 'admin@example.com');
    const fresh = await again.get('/admin/mail').expect(200);
    assert.match(fresh.text, /stuck@example\.com/);
    const retried = await again
      .post('/admin/mail/retry')
      .type('form')
      .send({ _csrf: csrfOf(fresh.text) });
    assert.equal(retried.status, 303);
    assert.equal(retried.headers.location, '/admin/mail');
    await smtp.until(() => smtp.to('stuck@example.com').length === 1);
    await settle(p);
    p.clock.advance(60 * MINUTE);
    await settle(p);
    assert.equal(smtp.to('stuck@example.com').length, 1, 'exactly one copy');
    assert.equal(smtp.to('steady@example.com').length, 1);
    assert.equal(onlyDeliveryTo(p, 'stuck@example.com').state, 'sent');
    // (Another hour passed: sign in again.)
    const afterPage = await (await signIn(p, 'admin@example.com')).get('/admin/mail').expect(200);
    assert.match(afterPage.text, /\b0 given up\b/);
  });

  it('the retry button refuses a request without the CSRF token', async () => {
    const admin = await signIn(p, 'admin@example.com');
    const res = await admin.post('/admin/mail/retry').type('form').send({});
    assert.equal(res.status, 403);
  });
});
