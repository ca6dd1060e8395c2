import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createIncident } from '../../../server/domain/incidents/writes.js';
import { createWebhook } from '../../../server/domain/subscribers/endpoints.js';
import type { Delivery } from '../../../server/domain/subscribers/outbox.js';
import { importCsv } from '../../../server/domain/subscribers/import-export.js';
import { startPharos, type TestPharos } from '../../helpers/pharos.js';
import { Receiver } from '../../helpers/receiver.js';
import { TestSmtp } from '../../helpers/smtp.js';
import { DroppingRelay } from '../../helpers/smtp-drops.js';

/**
 * After a hiccup (a dropped SMTP connection, a 451, a webhook receiver's 503) the outbox sends again at
 * the retry's own time, by itself: no sweep job runs in these tests (startPharos starts none) and
 * nobody wakes the workers by hand. Time is the FakeClock's; the workers' alarms are set on it.
 */

const system = { type: 'system' } as const;

function rows(p: TestPharos, channel: string): Delivery[] {
  return p.ctx.db.prepare('SELECT * FROM deliveries WHERE channel = ? ORDER BY id').all(channel) as Delivery[];
}

/** The first attempts are over once the worker's run has ended and every row is back in the queue or sent. */
async function firstAttempts(p: TestPharos, worker: 'mail' | 'hooks', channel: string, count: number): Promise<Delivery[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    await p.ctx[worker].idle();
    const all = rows(p, channel);
    if (all.length === count && all.every((r) => r.attempts >= 1 && r.state !== 'sending')) return all;
    if (Date.now() > deadline) throw new Error(`first attempts not over: ${JSON.stringify(all.map((r) => [r.state, r.attempts]))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits (in real time, bounded) until `test` holds. */
async function until(test: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!test()) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Lets a moment of real time pass, for anything sent too early to arrive. */
const moment = (p: TestPharos) => new Promise((r) => setTimeout(r, 200)).then(() => Promise.all([p.ctx.mail.idle(), p.ctx.hooks.idle()]));

describe('mail after a dropped SMTP connection', () => {
  let smtp: TestSmtp;
  let relay: DroppingRelay;
  let p: TestPharos;

  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
    relay = new DroppingRelay(() => smtp.port);
    await relay.start();
    p = await startPharos({ env: { SMTP_URL: relay.url, SMTP_MAX_CONNECTIONS: '1' } });
    importCsv(p.ctx, system, 'reader@example.com', true);
  });
  after(async () => {
    await p?.close();
    await relay?.stop();
    await smtp?.stop();
  });

  it('goes out when the pause ends (a second after a first drop), without a sweep', async () => {
    relay.drops = 1;
    createIncident(p.ctx, system, { name: 'Database failover', status: 'investigating', body: 'Failing over.' });
    const [row] = await firstAttempts(p, 'mail', 'email', 1);
    assert.equal(relay.dropped, 1, 'the connection was dropped at DATA');
    assert.equal(row?.state, 'queued');
    assert.equal(smtp.received.length, 0);
    const due = Math.max(row?.next_attempt_at ?? 0, p.ctx.mail.state().pausedUntil);
    const wait = due - p.clock.now().getTime();
    assert.equal(wait, 1_000, 'a first dropped connection pauses the channel for a second');

    p.clock.advance(wait - 1);
    await moment(p);
    assert.equal(smtp.received.length, 0, 'not before its time');

    p.clock.advance(1);
    await smtp.until(() => smtp.received.length === 1);
    await p.ctx.mail.idle();
    assert.deepEqual(
      rows(p, 'email').map((r) => [r.state, r.attempts]),
      [['sent', 2]],
    );
  });
});

describe('the SMTP server down, then back', () => {
  let smtp: TestSmtp;
  let p: TestPharos;

  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
    p = await startPharos({ env: { SMTP_URL: smtp.url } });
    importCsv(p.ctx, system, 'reader@example.com', true);
  });
  after(async () => {
    await p?.close();
    await smtp?.stop();
  });

  it('is tried again after 1, 2, 4, 8, 16 then every 30 s, each time by itself; once back, the mail goes out', async () => {
    await smtp.stop();
    createIncident(p.ctx, system, { name: 'Mail server outage', status: 'investigating' });
    await firstAttempts(p, 'mail', 'email', 1);
    const pauses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const pause = p.ctx.mail.state().pausedUntil - p.clock.now().getTime();
      pauses.push(pause);
      const attempts = rows(p, 'email')[0]?.attempts ?? 0;
      p.clock.advance(pause);
      // The alarm at the pause's end tries again, which fails again.
      await until(() => (rows(p, 'email')[0]?.attempts ?? 0) > attempts && rows(p, 'email')[0]?.state === 'queued');
      await p.ctx.mail.idle();
    }
    assert.deepEqual(pauses, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);

    await smtp.start();
    p.clock.advance(p.ctx.mail.state().pausedUntil - p.clock.now().getTime());
    await smtp.until(() => smtp.received.length === 1);
    await p.ctx.mail.idle();
    assert.deepEqual(
      rows(p, 'email').map((r) => r.state),
      ['sent'],
    );

    // A message sent starts the pauses over: the next failure costs a second again.
    await smtp.stop();
    createIncident(p.ctx, system, { name: 'Mail server outage, again', status: 'investigating' });
    await firstAttempts(p, 'mail', 'email', 2);
    assert.equal(p.ctx.mail.state().pausedUntil - p.clock.now().getTime(), 1_000);
    await smtp.start();
  });
});

describe('mail refused with 451', () => {
  let smtp: TestSmtp;
  let p: TestPharos;
  const readers = ['first@example.com', 'second@example.com', 'third@example.com'];

  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
    p = await startPharos({ env: { SMTP_URL: smtp.url } });
    importCsv(p.ctx, system, readers.join('\n'), true);
  });
  after(async () => {
    await p?.close();
    await smtp?.stop();
  });

  it('each message goes out at its own backoff, woken once per due time, with one alarm at a time', async () => {
    smtp.decide = (_to, count) => (count === 1 ? { accept: false, code: 451, message: '4.3.0 Try again later' } : { accept: true });
    createIncident(p.ctx, system, { name: 'Slow API', status: 'investigating', body: 'Requests are slow.' });
    const first = await firstAttempts(p, 'mail', 'email', readers.length);
    assert.ok(
      first.every((r) => r.state === 'queued' && /451/.test(r.last_error ?? '')),
      'all refused once',
    );
    // The backoff is jittered: the messages come due one after the other.
    const dues = [...new Set(first.map((r) => r.next_attempt_at))].sort((a, b) => a - b);
    assert.equal(dues.length, readers.length, 'three different retry times');
    assert.ok(p.clock.pending() <= 2, `one alarm per worker, not one per row (${p.clock.pending()})`);

    for (const [i, due] of dues.entries()) {
      p.clock.set(new Date(due - 1).toISOString());
      await moment(p);
      assert.equal(smtp.received.length, i, `before retry ${i + 1}: only the earlier ones sent`);
      p.clock.set(new Date(due).toISOString());
      await smtp.until(() => smtp.received.length === i + 1);
      assert.ok(p.clock.pending() <= 2, 'alarms are replaced, never piled up');
    }
    await p.ctx.mail.idle();
    assert.deepEqual(
      rows(p, 'email').map((r) => r.state),
      ['sent', 'sent', 'sent'],
    );
  });

  it('a stopped worker leaves no alarm behind', async () => {
    smtp.decide = () => ({ accept: false, code: 451, message: '4.3.0 Try again later' });
    createIncident(p.ctx, system, { name: 'Another slow API', status: 'investigating' });
    await firstAttempts(p, 'mail', 'email', 2 * readers.length);
    assert.ok(p.clock.pending() >= 1, 'an alarm waits for the retries');
    await p.ctx.mail.stop();
    await p.ctx.hooks.stop();
    assert.equal(p.clock.pending(), 0);
  });
});

describe('a webhook answering 503, then 200', () => {
  let receiver: Receiver;
  let p: TestPharos;

  before(async () => {
    receiver = new Receiver();
    await receiver.start();
    p = await startPharos();
  });
  after(async () => {
    await receiver?.stop();
    await p?.close();
  });

  it('is delivered at its backoff, without a sweep', async () => {
    receiver.answer = (n) => ({ status: n === 1 ? 503 : 200, body: n === 1 ? 'busy' : 'ok' });
    await createWebhook(p.ctx, system, { endpoint: receiver.url('/hook'), email: 'ops@example.com' }, 'admin');
    createIncident(p.ctx, system, { name: 'Outage', components: {} });
    const [row] = await firstAttempts(p, 'hooks', 'webhook', 1);
    assert.equal(row?.state, 'queued');
    assert.match(row?.last_error ?? '', /HTTP 503/);
    const wait = (row?.next_attempt_at ?? 0) - p.clock.now().getTime();
    assert.ok(wait > 30_000 && wait < 90_000, `about a minute (${wait} ms)`);

    p.clock.advance(wait - 1);
    await moment(p);
    assert.equal(receiver.received.length, 1, 'not before its time');

    p.clock.advance(1);
    await receiver.until(() => receiver.received.length === 2);
    await p.ctx.hooks.idle();
    await new Promise((r) => setTimeout(r, 50));
    await p.ctx.hooks.idle();
    assert.deepEqual(
      rows(p, 'webhook').map((r) => [r.state, r.attempts]),
      [['sent', 2]],
    );
  });
});
