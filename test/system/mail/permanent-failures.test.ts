import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createIncident, patchIncident } from '../../../server/domain/incidents/writes.js';
import type { Delivery } from '../../../server/domain/subscribers/outbox.js';
import { startPharos, type TestPharos, settleMail as settle } from '../../helpers/pharos.js';
import { TestSmtp } from '../../helpers/smtp.js';
import { ACCEPT, MINUTE, addConfirmed, deliveriesTo, offers, subscriberState, system } from './deliveries.js';

/**
 * What happens when the SMTP server says no, or is not there: 4xx retried with backoff, 5xx failed
 * for good (and bounced after three), SMTP down for an hour, and dead letters past MAIL_MAX_AGE_HOURS.
 * Time is the FakeClock's: the worker is woken by hand after moving it.
 */

describe('a permanent failure (5xx) fails the delivery without retry; three make the subscriber bounced', () => {
  let smtp: TestSmtp;
  let p: TestPharos;

  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
    p = await startPharos({ env: { SMTP_URL: smtp.url, PUBLIC_URL: 'https://status.acme.test' } });
    addConfirmed(p, ['gone@example.com', 'steady@example.com']);
  });
  after(async () => {
    await p?.close();
    await smtp?.stop();
  });

  it('550 is recorded with the SMTP response, never retried, and the third bounces the address', async () => {
    // Unknown mailboxes are refused at RCPT TO, as real servers do.
    const seen = offers(smtp, (to) => (to === 'gone@example.com' ? { accept: false, code: 550, message: '5.1.1 No such user here', stage: 'rcpt' } : ACCEPT));
    const incident = createIncident(p.ctx, system, { name: 'Login failures', status: 'investigating' });
    const updates: (() => void)[] = [
      () => patchIncident(p.ctx, system, incident.id, { status: 'identified', body: 'A bad certificate.' }),
      () => patchIncident(p.ctx, system, incident.id, { status: 'monitoring', body: 'Replaced.' }),
    ];

    for (let n = 1; n <= 3; n++) {
      await smtp.until(() => smtp.to('steady@example.com').length === n);
      await settle(p);
      const rows = deliveriesTo(p, 'gone@example.com');
      assert.equal(rows.length, n);
      const row = rows[n - 1] as Delivery;
      assert.equal(row.state, 'failed', `update ${n}: failed at once`);
      assert.equal(row.attempts, 1);
      assert.match(row.smtp_response ?? '', /^550 .*No such user here/, 'the SMTP response is recorded');
      assert.ok(row.last_error);
      assert.equal(seen.get('gone@example.com'), n);
      assert.equal(subscriberState(p, 'gone@example.com'), n < 3 ? 'confirmed' : 'bounced', `after ${n} permanent failure(s)`);
      p.clock.advance(MINUTE);
      updates[n - 1]?.();
    }

    // Hours of sweeps: nothing failed permanently is tried again.
    for (let i = 0; i < 6; i++) {
      p.clock.advance(30 * MINUTE);
      await settle(p);
    }
    assert.equal(seen.get('gone@example.com'), 3);
    assert.deepEqual(
      deliveriesTo(p, 'gone@example.com').map((r) => [r.state, r.attempts]),
      [
        ['failed', 1],
        ['failed', 1],
        ['failed', 1],
      ],
    );

    // A fourth update: the bounced address is neither queued nor offered to the server.
    patchIncident(p.ctx, system, incident.id, { status: 'resolved', body: 'All good.' });
    await smtp.until(() => smtp.to('steady@example.com').length === 4);
    await settle(p);
    assert.equal(deliveriesTo(p, 'gone@example.com').length, 3);
    assert.equal(seen.get('gone@example.com'), 3);
    assert.equal(smtp.to('gone@example.com').length, 0);
    assert.equal(subscriberState(p, 'steady@example.com'), 'confirmed');
  });
});
