import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { advanceActive, type Agent, type TestPharos, settleMail as settle } from '../../helpers/pharos.js';
import type { TestSmtp } from '../../helpers/smtp.js';
import { BANNER, exists, FORM, fromBurst, gateSettings, PAUSED, SENT, startGateWorld, type GateWorld } from './gate-world.js';

/**
 * The registration gate under a burst of sign-ups: past the threshold sign-up mail is slowed down to
 * that rate, and once it is queued more than 10 minutes ahead the gate closes (or restricts) by itself.
 */

describe('the registration gate: slowing down and closing by itself under a burst', () => {
  let smtp: TestSmtp;
  let p: TestPharos;
  let admin: Agent;
  let operator: Agent;
  let subscribe: GateWorld['subscribe'];
  let saveGate: GateWorld['saveGate'];
  let freshWindows: GateWorld['freshWindows'];

  before(async () => {
    ({ smtp, p, admin, operator, subscribe, saveGate, freshWindows } = await startGateWorld());
  });
  after(async () => {
    await p.close();
    await smtp.stop();
  });

  it('past the threshold, slows sign-up mail down to that rate and stays open: a new visitor can still subscribe', async () => {
    await freshWindows();
    await saveGate({ mode: 'open', threshold: '2', auto_mode: 'paused' });
    await settle(p);
    const due = (email: string) => p.ctx.db.prepare('SELECT next_attempt_at FROM deliveries WHERE recipient = ?').pluck().get(email) as number;
    const now = p.clock.now().getTime();
    // A confirmation being retried (greylisted) 40 minutes from now keeps its own time: it does not
    // push the paced ones back, nor close the gate.
    await subscribe('greylisted@example.com', '203.0.113.77');
    p.ctx.db
      .prepare("UPDATE deliveries SET state = 'queued', attempts = 1, next_attempt_at = ? WHERE recipient = 'greylisted@example.com'")
      .run(now + 40 * 60_000);
    // A minute on, the sign-up above is out of the rate's window.
    await advanceActive(p, [admin, operator], 61_000);
    // Two a minute go out at once; the next ones are paced 30 s apart.
    for (let i = 1; i <= 6; i++) {
      const res = await subscribe(`paced${i}@example.com`, fromBurst(i));
      assert.match(res.text, SENT, `sign-up ${i}`);
      if (i > 2) assert.match(res.text, /Many people are signing up right now/, `sign-up ${i} is told mail may take a while`);
    }
    assert.equal(due('paced1@example.com'), now + 61_000);
    assert.equal(due('paced2@example.com'), now + 61_000);
    const paced = [3, 4, 5, 6].map((i) => due(`paced${i}@example.com`));
    assert.ok((paced[0] ?? 0) - now < 3 * 60_000, 'the retried confirmation does not hold the paced ones back');
    for (let i = 1; i < paced.length; i++) assert.equal((paced[i] ?? 0) - (paced[i - 1] ?? 0), 30_000, 'paced at the threshold: 2 a minute');
    assert.equal(gateSettings(p)['subscriptions.mode'], 'open', 'still open');
    assert.match((await request(p.app).get('/subscribe').expect(200)).text, FORM, 'the form is still there for a new visitor');
    assert.match((await admin.get('/admin').expect(200)).text, /A burst of sign-ups is being slowed down: \d+ sign-up email\(s\) wait/);
    // Everyone gets their confirmation, at the paced times.
    await smtp.until(() => smtp.to('paced1@example.com').length === 1 && smtp.to('paced2@example.com').length === 1);
    assert.equal(smtp.to('paced6@example.com').length, 0, 'not yet');
    p.clock.advance(3 * 60_000);
    await settle(p);
    await smtp.until(() => [3, 4, 5, 6].every((i) => smtp.to(`paced${i}@example.com`).length === 1));
    await saveGate({ mode: 'open', threshold: '60', auto_mode: 'paused' });
  });

  it('does not count repeats of one address: 70 of them from 7 networks leave the gate open, and a new visitor is mailed at once', async () => {
    await freshWindows();
    await saveGate({ mode: 'open', threshold: '60', auto_mode: 'paused' });
    await settle(p);
    for (let i = 0; i < 70; i++) assert.match((await subscribe('target@example.com', fromBurst(i))).text, SENT);
    await settle(p);
    assert.equal(smtp.to('target@example.com').length, 1, 'one confirmation, not 70');
    assert.equal(gateSettings(p)['subscriptions.mode'], 'open');
    assert.equal(gateSettings(p)['subscriptions.auto_switched_at'], undefined);
    const newcomer = await subscribe('newcomer-after-repeats@example.com', '203.0.113.9');
    assert.match(newcomer.text, SENT);
    assert.doesNotMatch(newcomer.text, /Many people are signing up/, 'not slowed either');
    await smtp.until(() => smtp.to('newcomer-after-repeats@example.com').length === 1);
  });

  it('closes by itself once sign-up mail is queued more than 10 minutes ahead: audit row, a banner on every admin page, the public form paused', async () => {
    await freshWindows();
    await saveGate({ mode: 'open', threshold: '1', auto_mode: 'paused' });
    assert.doesNotMatch((await admin.get('/admin').expect(200)).text, BANNER);

    // One a minute: each sign-up past the first queues its mail a minute after the one before.
    let n = 0;
    while (gateSettings(p)['subscriptions.mode'] === 'open') {
      n++;
      assert.ok(n <= 14, 'closed within 10 minutes of queued mail');
      const res = await subscribe(`burst${n}@example.com`, fromBurst(n));
      assert.equal(res.status, 200);
      assert.match(res.text, SENT, `sign-up ${n}`);
    }
    assert.ok(n >= 11, `not before the queue passed 10 minutes (closed at sign-up ${n})`);
    assert.equal(gateSettings(p)['subscriptions.mode'], 'paused', 'closed by itself');

    const rows = p.ctx.db.prepare("SELECT * FROM audit_log WHERE action = 'subscriptions.gate_closed_automatically'").all() as {
      actor: string;
      subject: string;
      detail: string;
    }[];
    assert.equal(rows.length, 1);
    assert.equal(p.ctx.db.prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'subscriptions.gate'").pluck().get(), 0, 'no second, generic row beside it');
    assert.equal(rows[0]?.subject, 'paused');
    assert.match(rows[0]?.detail ?? '', /"threshold":1/);
    assert.match(rows[0]?.detail ?? '', /"queuedMinutes":1[01]/);

    // The public side: paused, and a further sign-up creates nothing.
    assert.match(
      (await request(p.app).get('/').expect(200)).text,
      /New subscriptions are paused for the moment while we deal with unusual traffic/,
      'closed by itself: it says why',
    );
    assert.match((await request(p.app).get('/subscribe').expect(200)).text, PAUSED);
    const later = await subscribe('burst-after@example.com', '203.0.113.50');
    assert.match(later.text, PAUSED);
    assert.equal(exists(p, 'burst-after@example.com'), false);

    // The banner, on every admin page, for admins and operators alike.
    for (const page of [
      '/admin',
      '/admin/incidents/new',
      '/admin/components',
      '/admin/communications',
      '/admin/subscribers',
      '/admin/mail',
      '/admin/users',
      '/admin/api-keys',
      '/admin/settings',
    ]) {
      const res = await admin.get(page);
      assert.equal(res.status, 200, page);
      assert.match(res.text, BANNER, `banner on ${page}`);
    }
    assert.match((await operator.get('/admin').expect(200)).text, BANNER, 'operators see it too');
    // Never on the public side.
    assert.doesNotMatch((await request(p.app).get('/').expect(200)).text, BANNER);

    // An admin saving the settings form reopens it and ends the banner.
    await saveGate({ mode: 'open', threshold: '60', auto_mode: 'paused' });
    assert.equal(gateSettings(p)['subscriptions.mode'], 'open');
    assert.equal(gateSettings(p)['subscriptions.auto_switched_at'], undefined);
    for (const page of ['/admin', '/admin/settings', '/admin/subscribers']) {
      assert.doesNotMatch((await admin.get(page).expect(200)).text, BANNER, `no banner on ${page}`);
    }
    assert.doesNotMatch((await operator.get('/admin').expect(200)).text, BANNER);
    assert.match((await request(p.app).get('/subscribe').expect(200)).text, FORM);
    assert.doesNotMatch((await request(p.app).get('/').expect(200)).text, PAUSED);
    assert.ok(p.ctx.db.prepare("SELECT 1 FROM audit_log WHERE action = 'subscriptions.gate_changed' AND subject = 'open'").get());

    // A minute later, sign-ups are taken again.
    p.clock.advance(61_000);
    assert.match((await subscribe('after@example.com')).text, SENT);
    assert.ok(exists(p, 'after@example.com'));
  });

  it('switches to restricted instead when asked to and domains are listed', async () => {
    await freshWindows();
    await saveGate({ mode: 'open', domains: 'example.com', threshold: '1', auto_mode: 'restricted' });
    for (let i = 1; gateSettings(p)['subscriptions.mode'] === 'open'; i++) {
      assert.ok(i <= 14);
      assert.match((await subscribe(`wave${i}@example.com`, fromBurst(i))).text, SENT);
    }
    assert.equal(gateSettings(p)['subscriptions.mode'], 'restricted');
    assert.match((await admin.get('/admin').expect(200)).text, BANNER);
    const outsider = await subscribe('someone@other.org');
    assert.doesNotMatch(outsider.text, SENT);
    assert.equal(exists(p, 'someone@other.org'), false);
    assert.match((await subscribe('wave-late@example.com', '203.0.113.60')).text, SENT, 'the listed domain is still accepted');
    await saveGate({ mode: 'open', threshold: '60', auto_mode: 'paused' });
    assert.doesNotMatch((await admin.get('/admin').expect(200)).text, BANNER);
  });
});
