import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createComponent } from '../../server/domain/components.js';
import { createIncident } from '../../server/domain/incident-writes.js';
import { importCsv } from '../../server/domain/subscriber-csv.js';
import { advanceActive, PASSWORD, startPharos, submit, type Agent, type TestPharos, settleMail as settle } from '../helpers/pharos.js';
import { startMailWorld } from '../helpers/mail-world.js';
import { TestSmtp } from '../helpers/smtp.js';

const system = { type: 'system' } as const;
const PAUSED = /New subscriptions are paused/;
const SENT = /Check your inbox/;
const FORM = /<form method="post" action="\/subscribe"/;
const BANNER = /closed automatically/;

const count = (p: TestPharos, table: 'subscribers' | 'deliveries') => p.ctx.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
const exists = (p: TestPharos, email: string) => Boolean(p.ctx.db.prepare('SELECT 1 FROM subscribers WHERE email = ?').get(email));
const gateSettings = (p: TestPharos) =>
  Object.fromEntries(
    (p.ctx.db.prepare("SELECT key, value FROM settings WHERE key LIKE 'subscriptions.%'").all() as { key: string; value: string }[]).map((r) => [r.key, r.value]),
  );

describe('the registration gate: open, restricted, paused, and closing by itself under a burst', () => {
  let smtp: TestSmtp;
  let p: TestPharos;
  let admin: Agent;
  let operator: Agent;
  let api: string;

  before(async () => {
    ({ smtp, p, admin, operator } = await startMailWorld());
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    // An existing subscriber, confirmed before any of this, at a domain the restricted mode will not list.
    const imported = importCsv(p.ctx, system, 'member@existing.net\n', true);
    assert.equal(imported.added, 1);
  });
  after(async () => {
    await p.close();
    await smtp.stop();
  });

  const subscribe = (email: string) => request(p.app).post('/subscribe').type('form').send({ email, scope: 'all' });
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
    const res = await submit(admin, '/admin/settings', '/admin/settings/subscriptions', { mode: 'restricted', domains: '', threshold: '60', auto_mode: 'paused', confirm_password: PASSWORD });
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

  it('closes by itself after more than the threshold of sign-ups in a minute: audit row, a banner on every admin page, the public form paused', async () => {
    await freshWindows();
    await saveGate({ mode: 'open', threshold: '5', auto_mode: 'paused' });
    assert.doesNotMatch((await admin.get('/admin').expect(200)).text, BANNER);

    // Five sign-ups are within the threshold; the sixth passes it.
    for (let i = 1; i <= 5; i++) {
      const res = await subscribe(`burst${i}@example.com`);
      assert.match(res.text, SENT, `sign-up ${i}`);
      assert.equal(gateSettings(p)['subscriptions.mode'], 'open', `still open after ${i}`);
    }
    assert.equal(p.ctx.db.prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'subscriptions.gate_closed_automatically'").pluck().get(), 0);
    const sixth = await subscribe('burst6@example.com');
    assert.equal(sixth.status, 200);
    assert.equal(gateSettings(p)['subscriptions.mode'], 'paused', 'closed by itself');

    const rows = p.ctx.db.prepare("SELECT * FROM audit_log WHERE action = 'subscriptions.gate_closed_automatically'").all() as {
      actor: string;
      subject: string;
      detail: string;
    }[];
    assert.equal(rows.length, 1);
    assert.equal(p.ctx.db.prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'subscriptions.gate'").pluck().get(), 0, 'no second, generic row beside it');
    assert.equal(rows[0]?.subject, 'paused');
    assert.match(rows[0]?.detail ?? '', /"threshold":5/);

    // The public side: paused, and a further sign-up creates nothing.
    assert.match((await request(p.app).get('/').expect(200)).text, PAUSED);
    assert.match((await request(p.app).get('/subscribe').expect(200)).text, PAUSED);
    const seventh = await subscribe('burst7@example.com');
    assert.match(seventh.text, PAUSED);
    assert.equal(exists(p, 'burst7@example.com'), false);

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
    await saveGate({ mode: 'open', threshold: '5', auto_mode: 'paused' });
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
    await saveGate({ mode: 'open', domains: 'example.com', threshold: '2', auto_mode: 'restricted' });
    for (let i = 1; i <= 3; i++) assert.match((await subscribe(`wave${i}@example.com`)).text, SENT);
    assert.equal(gateSettings(p)['subscriptions.mode'], 'restricted');
    assert.match((await admin.get('/admin').expect(200)).text, BANNER);
    const outsider = await subscribe('someone@other.org');
    assert.doesNotMatch(outsider.text, SENT);
    assert.equal(exists(p, 'someone@other.org'), false);
    assert.match((await subscribe('wave4@example.com')).text, SENT, 'the listed domain is still accepted');
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
      const res = await request(p.app).post('/subscribe').type('form').send({ email: `ip${i}@example.com`, scope: 'all' });
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
