import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createComponent } from '../../../server/domain/page/components.js';
import { createIncident } from '../../../server/domain/incidents/writes.js';
import { importCsv } from '../../../server/domain/subscribers/import-export.js';
import { advanceActive, PASSWORD, startPharos, submit, type Agent, type TestPharos, settleMail as settle } from '../../helpers/pharos.js';
import { startMailWorld } from '../../helpers/mail-world.js';
import { TestSmtp } from '../../helpers/smtp.js';

const system = { type: 'system' } as const;
const PAUSED = /New subscriptions are paused/;
const SENT = /Check your inbox/;
const FORM = /<form method="post" action="\/subscribe"/;
const BANNER = /closed automatically/;

const count = (p: TestPharos, table: 'subscribers' | 'deliveries') => p.ctx.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
const exists = (p: TestPharos, email: string) => Boolean(p.ctx.db.prepare('SELECT 1 FROM subscribers WHERE email = ?').get(email));
const gateSettings = (p: TestPharos) =>
  Object.fromEntries(
    (p.ctx.db.prepare("SELECT key, value FROM settings WHERE key LIKE 'subscriptions.%'").all() as { key: string; value: string }[]).map((r) => [
      r.key,
      r.value,
    ]),
  );

describe('the registration gate: open, restricted, paused, and closing by itself under a burst', () => {
  let smtp: TestSmtp;
  let p: TestPharos;
  let admin: Agent;
  let operator: Agent;
  let api: string;

  before(async () => {
    // Behind a trusted proxy (loopback): X-Forwarded-For stands for the sign-ups' own networks.
    ({ smtp, p, admin, operator } = await startMailWorld({ TRUST_PROXY: 'loopback' }));
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    // An existing subscriber, confirmed before any of this, at a domain the restricted mode will not list.
    const imported = importCsv(p.ctx, system, 'member@existing.net\n', true);
    assert.equal(imported.added, 1);
  });
  after(async () => {
    await p.close();
    await smtp.stop();
  });

  const subscribe = (email: string, from = '127.0.0.1') =>
    request(p.app).post('/subscribe').set('X-Forwarded-For', from).type('form').send({ email, scope: 'all' });
  /** The n-th sign-up of a burst, from one of many networks (10 each, the per-network limit). */
  const fromBurst = (n: number) => `198.51.100.${1 + Math.floor(n / 10)}`;
  const saveGate = async (fields: { mode: string; domains?: string; threshold?: string; auto_mode?: string }) => {
    const res = await submit(admin, '/admin/settings', '/admin/settings/subscriptions', {
      confirm_password: PASSWORD,
      domains: '',
      threshold: '60',
      auto_mode: 'paused',
      ...fields,
    });
    assert.equal(res.status, 303, `saving the gate answered ${res.status}: ${res.text.slice(0, 500)}`);
    return res;
  };
  /** Each test starts with a fresh per-IP and global window (the limiter follows the app's clock). */
  // Past the sign-up limits' 10-minute windows; the signed-in operators keep working meanwhile.
  const freshWindows = () => advanceActive(p, [admin, operator], 11 * 60_000);

  /** An incident for every component; resolves once the existing subscriber has its mail. */
  async function existingSubscriberStillMailed(name: string): Promise<void> {
    const before = smtp.to('member@existing.net').length;
    createIncident(p.ctx, system, { name, status: 'investigating', body: 'Looking into it.', components: { [api]: 'major_outage' } });
    await smtp.until(() => smtp.to('member@existing.net').length === before + 1);
    assert.match(smtp.to('member@existing.net').at(-1)?.mail.subject ?? '', new RegExp(name));
  }

  it('paused: the status page and /subscribe say so politely; a sign-up creates and sends nothing; existing subscribers are still mailed', async () => {
    await freshWindows();
    await saveGate({ mode: 'paused' });
    assert.equal(gateSettings(p)['subscriptions.mode'], 'paused');

    const status = await request(p.app).get('/').expect(200);
    assert.match(status.text, PAUSED);
    assert.doesNotMatch(status.text, FORM, 'no sign-up form on the status page');
    const form = await request(p.app).get('/subscribe').expect(200);
    assert.match(form.text, PAUSED);
    assert.match(form.text, /Please come back later/);
    assert.doesNotMatch(form.text, FORM);

    await settle(p);
    const [subscribers, deliveries, received] = [count(p, 'subscribers'), count(p, 'deliveries'), smtp.received.length];
    const res = await subscribe('newcomer@example.com');
    assert.ok(res.status < 500, `answered ${res.status}`);
    assert.match(res.text, PAUSED);
    assert.doesNotMatch(res.text, SENT, 'does not pretend a confirmation was sent');
    assert.equal(exists(p, 'newcomer@example.com'), false);
    assert.equal(count(p, 'subscribers'), subscribers);
    assert.equal(count(p, 'deliveries'), deliveries);
    await settle(p);
    assert.equal(smtp.received.length, received, 'nothing was sent');

    await existingSubscriberStillMailed('Paused gate incident');
  });

  it('restricted: needs at least one domain', async () => {
    const res = await submit(admin, '/admin/settings', '/admin/settings/subscriptions', {
      mode: 'restricted',
      domains: '',
      threshold: '60',
      auto_mode: 'paused',
      confirm_password: PASSWORD,
    });
    assert.equal(res.status, 422);
    assert.match(res.text, /List at least one domain/);
    assert.equal(gateSettings(p)['subscriptions.mode'], 'paused', 'unchanged');
  });

  it('restricted to example.com: an address there is accepted, one at other.org is told politely and nothing is created; existing subscribers are still mailed', async () => {
    await freshWindows();
    await saveGate({ mode: 'restricted', domains: 'example.com' });
    assert.equal(gateSettings(p)['subscriptions.mode'], 'restricted');

    const form = await request(p.app).get('/subscribe').expect(200);
    assert.match(form.text, FORM);
    const status = await request(p.app).get('/').expect(200);
    assert.doesNotMatch(status.text, PAUSED);

    await settle(p);
    const [subscribers, deliveries, received] = [count(p, 'subscribers'), count(p, 'deliveries'), smtp.received.length];
    const refused = await subscribe('someone@other.org');
    assert.ok(refused.status < 500, `answered ${refused.status}`);
    assert.match(refused.text, /only accept new subscriptions from addresses at example\.com/);
    assert.doesNotMatch(refused.text, SENT);
    assert.match(refused.text, /value="someone@other\.org"/, 'what was typed is kept');
    assert.equal(exists(p, 'someone@other.org'), false);
    assert.equal(count(p, 'subscribers'), subscribers);
    assert.equal(count(p, 'deliveries'), deliveries);
    // A look-alike domain is not the listed one.
    assert.doesNotMatch((await subscribe('someone@notexample.com')).text, SENT);
    assert.equal(exists(p, 'someone@notexample.com'), false);
    await settle(p);
    assert.equal(smtp.received.length, received, 'nothing was sent to refused addresses');

    const accepted = await subscribe('Alice@Example.com');
    assert.equal(accepted.status, 200);
    assert.match(accepted.text, SENT);
    assert.equal(p.ctx.db.prepare("SELECT state FROM subscribers WHERE email = 'alice@example.com'").pluck().get(), 'pending');
    await smtp.until(() => smtp.to('alice@example.com').length === 1);
    assert.match(smtp.to('alice@example.com')[0]?.mail.subject ?? '', /Confirm your subscription/);

    await existingSubscriberStillMailed('Restricted gate incident');
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
    assert.match((await request(p.app).get('/').expect(200)).text, PAUSED);
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

  it('an operator cannot change the gate', async () => {
    const page = await operator.get('/admin/settings');
    assert.equal(page.status, 403);
  });
});

describe('the per-IP sign-up limit', () => {
  let p: TestPharos;
  before(async () => {
    p = await startPharos();
  });
  after(() => p.close());

  it('answers 429 to the 11th sign-up from one address within 10 minutes, and creates nothing', async () => {
    for (let i = 1; i <= 10; i++) {
      const res = await request(p.app)
        .post('/subscribe')
        .type('form')
        .send({ email: `ip${i}@example.com`, scope: 'all' });
      assert.equal(res.status, 200, `sign-up ${i}`);
      assert.match(res.text, SENT);
    }
    const [subscribers, deliveries] = [count(p, 'subscribers'), count(p, 'deliveries')];
    assert.equal(subscribers, 10);
    const eleventh = await request(p.app).post('/subscribe').type('form').send({ email: 'ip11@example.com', scope: 'all' });
    assert.equal(eleventh.status, 429);
    assert.doesNotMatch(eleventh.text, SENT);
    assert.equal(exists(p, 'ip11@example.com'), false);
    assert.equal(count(p, 'subscribers'), subscribers);
    assert.equal(count(p, 'deliveries'), deliveries);

    // The window slides: after 10 minutes the same address may sign up again.
    p.clock.advance(10 * 60_000 + 1_000);
    const later = await request(p.app).post('/subscribe').type('form').send({ email: 'ip11@example.com', scope: 'all' });
    assert.equal(later.status, 200);
    assert.ok(exists(p, 'ip11@example.com'));
  });
});
