import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createIncident } from '../../../server/domain/incidents/writes.js';
import { startPharos, type TestPharos, settleMail as settle } from '../../helpers/pharos.js';
import { TestSmtp } from '../../helpers/smtp.js';
import { ACCEPT, MINUTE, addConfirmed, clockTo, offers, onlyDeliveryTo, system } from './deliveries.js';

/**
 * What happens when the SMTP server says no, or is not there: 4xx retried with backoff, 5xx failed
 * for good (and bounced after three), SMTP down for an hour, and dead letters past MAIL_MAX_AGE_HOURS.
 * Time is the FakeClock's: the worker is woken by hand after moving it.
 */

describe('a temporary failure (4xx) is retried with backoff, then succeeds once', () => {
  let smtp: TestSmtp;
  let p: TestPharos;
  const flaky = ['flaky1@example.com', 'flaky2@example.com', 'flaky3@example.com', 'flaky4@example.com', 'flaky5@example.com'];

  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
    p = await startPharos({ env: { SMTP_URL: smtp.url, PUBLIC_URL: 'https://status.acme.test' } });
    addConfirmed(p, [...flaky, 'steady@example.com']);
  });
  after(async () => {
    await p?.close();
    await smtp?.stop();
  });

  it('451 twice: queued about a minute later (±20 %), then about two, nothing sent early, then exactly one copy', async () => {
    const seen = offers(smtp, (to, count) =>
      flaky.includes(to) && count <= 2 ? { accept: false, code: 451, message: '4.3.0 Mailbox busy, try again later' } : ACCEPT,
    );
    const t0 = p.clock.now().getTime();
    createIncident(p.ctx, system, { name: 'Slow API', status: 'investigating', body: 'Requests are slow.' });
    await smtp.until(() => smtp.to('steady@example.com').length === 1);
    await settle(p);

    const first = flaky.map((to) => onlyDeliveryTo(p, to));
    for (const row of first) {
      assert.equal(row.state, 'queued', `${row.recipient} waits for a retry`);
      assert.equal(row.attempts, 1);
      assert.match(row.last_error ?? '', /451/);
      const delay = row.next_attempt_at - t0;
      assert.ok(delay >= 0.8 * MINUTE && delay <= 1.2 * MINUTE, `first retry about a minute later (±20 %), got ${delay} ms`);
      assert.equal(smtp.to(row.recipient).length, 0);
    }
    assert.ok(new Set(first.map((r) => r.next_attempt_at)).size > 1, 'retries are jittered, not all at the same instant');

    // A sweep just before the earliest retry time sends nothing and offers nothing to the server.
    const earliest = Math.min(...first.map((r) => r.next_attempt_at));
    clockTo(p, earliest - 1_000);
    await settle(p);
    for (const to of flaky) {
      assert.equal(seen.get(to), 1, `${to} not tried again before its time`);
      assert.equal(onlyDeliveryTo(p, to).state, 'queued');
    }

    // Past the latest first retry: the second attempt is refused again, the next wait about doubles.
    const t1 = Math.max(...first.map((r) => r.next_attempt_at));
    clockTo(p, t1);
    await settle(p);
    for (const to of flaky) {
      const row = onlyDeliveryTo(p, to);
      assert.equal(seen.get(to), 2);
      assert.equal(row.state, 'queued');
      assert.equal(row.attempts, 2);
      const delay = row.next_attempt_at - t1;
      assert.ok(delay >= 1.6 * MINUTE && delay <= 2.4 * MINUTE, `second retry about two minutes later (±20 %), got ${delay} ms`);
    }
    assert.equal(smtp.received.length, 1, 'only steady@ has mail so far');

    clockTo(p, Math.max(...flaky.map((to) => onlyDeliveryTo(p, to).next_attempt_at)));
    p.ctx.mail.wake();
    await smtp.until(() => flaky.every((to) => smtp.to(to).length === 1));
    await settle(p);
    for (const to of flaky) {
      const row = onlyDeliveryTo(p, to);
      assert.equal(row.state, 'sent');
      assert.equal(row.attempts, 3);
      assert.match(row.smtp_response ?? '', /^250/);
      assert.ok(row.sent_at);
    }

    // Later sweeps send nothing more: exactly one copy each.
    p.clock.advance(3 * 60 * MINUTE);
    await settle(p);
    for (const to of [...flaky, 'steady@example.com']) assert.equal(smtp.to(to).length, 1, `${to} has exactly one copy`);
    assert.equal(smtp.received.length, flaky.length + 1);
  });
});
