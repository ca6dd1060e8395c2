import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createIncident, patchIncident } from '../../../server/domain/incidents/writes.js';
import type { Delivery } from '../../../server/domain/subscribers/outbox.js';
import { importCsv } from '../../../server/domain/subscribers/import-export.js';
import { addApiKey, addUser, csrfOf, signIn, startPharos, type TestPharos, settleMail as settle } from '../../helpers/pharos.js';
import { TestSmtp, type Verdict } from '../../helpers/smtp.js';

/**
 * What happens when the SMTP server says no, or is not there: 4xx retried with backoff, 5xx failed
 * for good (and bounced after three), SMTP down for an hour, and dead letters past MAIL_MAX_AGE_HOURS.
 * Time is the FakeClock's: the worker is woken by hand after moving it.
 */

const system = { type: 'system' } as const;
const MINUTE = 60_000;
const ACCEPT: Verdict = { accept: true };

function deliveriesTo(p: TestPharos, recipient: string): Delivery[] {
  return p.ctx.db.prepare('SELECT * FROM deliveries WHERE recipient = ? ORDER BY id').all(recipient) as Delivery[];
}

function onlyDeliveryTo(p: TestPharos, recipient: string): Delivery {
  const rows = deliveriesTo(p, recipient);
  assert.equal(rows.length, 1, `one delivery row for ${recipient}`);
  return rows[0] as Delivery;
}

function subscriberState(p: TestPharos, email: string): string {
  return p.ctx.db.prepare('SELECT state FROM subscribers WHERE email = ?').pluck().get(email) as string;
}

function addConfirmed(p: TestPharos, emails: string[]): void {
  const result = importCsv(p.ctx, system, emails.join('\n'), true);
  assert.equal(result.added, emails.length);
}

/** Moves the fake clock to an absolute time (ms). */
function clockTo(p: TestPharos, ms: number): void {
  p.clock.set(new Date(ms).toISOString());
}

/** Counts, per recipient, how many times the SMTP server was offered a message, whatever it answered. */
function offers(smtp: TestSmtp, verdict: (to: string, count: number) => Verdict): Map<string, number> {
  const seen = new Map<string, number>();
  smtp.decide = (to, count) => {
    seen.set(to, count);
    return verdict(to, count);
  };
  return seen;
}

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
