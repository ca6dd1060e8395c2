import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { Delivery } from '../../../server/domain/subscribers/outbox.js';
import { addApiKey, addUser, signIn, startPharos, type TestPharos, settleMail as settle } from '../../helpers/pharos.js';
import { TestSmtp } from '../../helpers/smtp.js';
import { MINUTE, addConfirmed, clockTo } from './deliveries.js';

/**
 * What happens when the SMTP server says no, or is not there: 4xx retried with backoff, 5xx failed
 * for good (and bounced after three), SMTP down for an hour, and dead letters past MAIL_MAX_AGE_HOURS.
 * Time is the FakeClock's: the worker is woken by hand after moving it.
 */

describe('the SMTP server down for an hour, then back', () => {
  let smtp: TestSmtp;
  let p: TestPharos;
  let key: string;
  const emails = Array.from({ length: 30 }, (_, i) => `reader${i}@example.com`);

  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
    // Plain http, so that the admin session cookie is not Secure-only for supertest.
    p = await startPharos({ env: { SMTP_URL: smtp.url } });
    await addUser(p, 'admin@example.com');
    key = addApiKey(p);
    addConfirmed(p, emails);
  });
  after(async () => {
    await p?.close();
    await smtp?.stop();
  });

  it('posting and the public page are unaffected, the admin sees the error and what waits, and all goes out once it is back', async (t) => {
    // Down before Pharos ever connected, so the pool holds no open connection: the port refuses.
    await smtp.stop();
    const api = `/api/v1/pages/${p.ctx.pageId}`;

    const created = await request(p.app)
      .post(`${api}/incidents`)
      .set('Authorization', `OAuth ${key}`)
      .send({ incident: { name: 'Database failover', status: 'investigating', body: 'The primary database is failing over.' } });
    assert.equal(created.status, 201, created.text);
    const incidentId = String((created.body as { id: unknown }).id);
    const home = await request(p.app).get('/');
    assert.equal(home.status, 200);
    assert.match(home.text, /Database failover/);

    await settle(p);
    let rows = p.ctx.db.prepare('SELECT * FROM deliveries ORDER BY id').all() as Delivery[];
    assert.equal(rows.length, emails.length);
    assert.ok(
      rows.every((r) => r.state === 'queued'),
      `all wait: ${JSON.stringify(rows.map((r) => r.state))}`,
    );
    const attempted = rows.filter((r) => r.attempts > 0);
    assert.ok(attempted.length > 0, 'the worker tried');
    for (const r of attempted) assert.match(r.last_error ?? '', /ECONNREFUSED|connect/i, `${r.recipient}: last error recorded`);

    const admin = await signIn(p, 'admin@example.com');
    const mailPage = await admin.get('/admin/mail').expect(200);
    assert.match(mailPage.text, /ECONNREFUSED/, 'the admin sees the last error');
    assert.match(mailPage.text, new RegExp(`\\b${emails.length} waiting\\b`), 'and how many wait');

    // An hour of outage, swept every 5 minutes; an update posted in the middle of it.
    for (let step = 1; step <= 12; step++) {
      p.clock.advance(5 * MINUTE);
      if (step === 6) {
        const patched = await request(p.app)
          .patch(`${api}/incidents/${incidentId}`)
          .set('Authorization', `OAuth ${key}`)
          .send({ incident: { status: 'identified', body: 'A disk controller failed.' } });
        assert.equal(patched.status, 200, patched.text);
        assert.equal((patched.body as { status: unknown }).status, 'identified');
      }
      await settle(p);
      const states = p.ctx.db.prepare('SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state').all() as { state: string; n: number }[];
      assert.deepEqual(states, [{ state: 'queued', n: step < 6 ? emails.length : 2 * emails.length }], `after ${step * 5} minutes down`);
    }
    const during = await request(p.app).get('/');
    assert.equal(during.status, 200);
    assert.match(during.text, /A disk controller failed/);
    // (An hour passed: the session's 30 idle minutes are over; sign in again.)
    const later = await (await signIn(p, 'admin@example.com')).get('/admin/mail').expect(200);
    assert.match(later.text, /ECONNREFUSED/);
    assert.match(later.text, /SMTP unreachable/);
    assert.match(later.text, new RegExp(`\\b${2 * emails.length} waiting\\b`));
    assert.equal(smtp.received.length, 0);

    // Back on the same port; once the clock passes every retry time, everything goes out, once.
    await smtp.start();
    rows = p.ctx.db.prepare('SELECT * FROM deliveries ORDER BY id').all() as Delivery[];
    const backAt = p.clock.now().getTime();
    const lastRetry = Math.max(...rows.map((r) => r.next_attempt_at), p.ctx.mail.state().pausedUntil);
    t.diagnostic(`after an hour down, the last waiting message is next tried ${((lastRetry - backAt) / MINUTE).toFixed(1)} min after the server is back`);
    // An unreachable server does not push messages further out: everything is due within the 30 s pause.
    assert.ok(lastRetry - backAt <= 30_000, 'everything goes out once the server is back, not an hour later');
    clockTo(p, lastRetry + 1);
    p.ctx.mail.wake();
    await smtp.until(() => smtp.received.length >= 2 * emails.length, 20_000);
    await settle(p);
    p.clock.advance(2 * 60 * MINUTE);
    await settle(p);
    for (const to of emails) {
      const got = smtp.to(to);
      assert.equal(got.length, 2, `${to}: one copy of each of the two updates`);
      assert.equal(new Set(got.map((r) => r.mail.messageId)).size, 2);
    }
    assert.equal(smtp.received.length, 2 * emails.length);
    const done = p.ctx.db.prepare('SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state').all();
    assert.deepEqual(done, [{ state: 'sent', n: 2 * emails.length }]);
    // (The fake clock moved past the session's idle limit: sign in again.)
    const after = await (await signIn(p, 'admin@example.com')).get('/admin/mail').expect(200);
    assert.match(after.text, /\b0 waiting\b/);
    assert.doesNotMatch(after.text, /ECONNREFUSED/, 'the error it recovered from is no longer shown as current');
  });
});
