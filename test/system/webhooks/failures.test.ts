import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createIncident, patchIncident } from '../../../server/domain/incidents/writes.js';
import { createWebhook } from '../../../server/domain/subscribers/endpoints.js';
import { mailDir } from '../../../server/outbox/mail/transport.js';
import { confirmAccess, settleMail, signIn, submit } from '../../helpers/pharos.js';
import { TestDns } from '../../helpers/dns.js';
import { Receiver } from '../../helpers/receiver.js';
import { deliveriesTo, drainHooks, startWorld, stopWorld, system, type World } from './world.js';

/** 2xx is success; anything else is retried with backoff for 24 h, then the webhook is disabled and its email told. */
describe('webhook deliveries that fail', () => {
  let w: World;
  let other: Receiver;
  const dns = new TestDns();
  before(async () => {
    await dns.start();
    w = await startWorld({ WEBHOOK_DNS_SERVERS: dns.server });
    other = new Receiver();
    await other.start();
  });
  after(async () => {
    await dns.stop();
    await other.stop();
    await stopWorld(w);
  });

  const hook = async (path: string) =>
    (await createWebhook(w.p.ctx, system, { endpoint: w.receiver.url(path), email: 'ops@example.com' }, 'admin')).endpoint.id;
  const clear = () => w.p.ctx.db.prepare('DELETE FROM endpoints').run();

  it('a 500 is retried after its backoff and then delivered, with the same delivery id', async () => {
    clear();
    const id = await hook('/flaky');
    w.receiver.answer = (n) => ({ status: n === 1 ? 500 : 200 });
    const incident = createIncident(w.p.ctx, system, { name: 'Outage', components: {} });
    await drainHooks(w.p);
    assert.deepEqual(
      deliveriesTo(w.p, id).map((d) => [d.state, d.attempts, d.last_error]),
      [['queued', 1, 'HTTP 500: ok']],
    );
    assert.equal(w.receiver.received.length, 1);
    w.p.clock.advance(30_000);
    await drainHooks(w.p);
    assert.equal(w.receiver.received.length, 1, 'not before its backoff (about a minute)');
    w.p.clock.advance(60_000);
    await drainHooks(w.p);
    await w.receiver.until(() => w.receiver.received.length === 2);
    assert.deepEqual(
      deliveriesTo(w.p, id).map((d) => [d.state, d.attempts]),
      [['sent', 2]],
    );
    const [first, second] = w.receiver.received;
    assert.equal(first?.headers['x-pharos-delivery'], second?.headers['x-pharos-delivery'], 'receivers can de-duplicate');
    assert.equal(first?.raw.includes(incident.id), true);
  });

  it('a redirect is not followed: it is a failure, and the place it points to gets nothing', async () => {
    clear();
    w.receiver.received.length = 0;
    const id = await hook('/moved');
    w.receiver.answer = () => ({ status: 302, location: other.url('/elsewhere') });
    createIncident(w.p.ctx, system, { name: 'Another outage', components: {} });
    await drainHooks(w.p);
    await w.receiver.until(() => w.receiver.received.length === 1);
    await drainHooks(w.p);
    assert.equal(other.received.length, 0);
    assert.match(deliveriesTo(w.p, id)[0]?.last_error ?? '', /HTTP 302: a redirect, not followed/);
  });

  it('a receiver that hangs is cut at 10 s and retried, and does not hold the others back', async () => {
    clear();
    w.receiver.received.length = 0;
    const hanging = await hook('/hang');
    const fine = (await createWebhook(w.p.ctx, system, { endpoint: other.url('/fine'), email: 'ops@example.com' }, 'admin')).endpoint.id;
    w.receiver.answer = () => 'hang';
    other.received.length = 0;
    createIncident(w.p.ctx, system, { name: 'Third outage', components: {} });
    w.p.ctx.hooks.wake();
    await other.until(() => other.received.length === 1, 3000);
    for (let i = 0; i < 100 && deliveriesTo(w.p, fine)[0]?.state !== 'sent'; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(deliveriesTo(w.p, fine)[0]?.state, 'sent', 'recorded as delivered while the other still hangs');
    assert.equal(deliveriesTo(w.p, hanging)[0]?.state, 'sending');
    await w.p.ctx.hooks.idle();
    const row = deliveriesTo(w.p, hanging)[0];
    assert.equal(row?.state, 'queued');
    assert.match(row?.last_error ?? '', /No answer within 10 s/);
  });

  it('failing for 24 h disables the webhook, drops what is queued for it and tells its email once', async () => {
    clear();
    w.receiver.received.length = 0;
    const id = await hook('/down');
    w.receiver.answer = () => ({ status: 503 });
    const incident = createIncident(w.p.ctx, system, { name: 'Long outage', components: {} });
    await drainHooks(w.p);
    // A day of retries: each due attempt fails.
    for (let h = 0; h < 25; h++) {
      w.p.clock.advance(3_600_000);
      if (h === 3) patchIncident(w.p.ctx, system, incident.id, { status: 'identified', body: 'Still down.' });
      await drainHooks(w.p);
    }
    const endpoint = w.p.ctx.db.prepare('SELECT state, disabled_reason FROM endpoints WHERE id = ?').get(id) as { state: string; disabled_reason: string };
    assert.equal(endpoint.state, 'disabled');
    assert.match(endpoint.disabled_reason, /Every delivery failed for 24 hours \(last: HTTP 503/);
    const rows = deliveriesTo(w.p, id);
    assert.ok(
      rows.every((r) => r.state === 'failed' || r.kind === 'endpoint_disabled'),
      JSON.stringify(rows),
    );
    const attempts = w.receiver.received.length;
    createIncident(w.p.ctx, system, { name: 'After the disable', components: {} });
    await drainHooks(w.p);
    assert.equal(w.receiver.received.length, attempts, 'nothing more is sent to it');
    // An admin enables it again once the receiver is fixed: the next change is delivered.
    w.receiver.answer = () => ({ status: 200 });
    w.admin = await signIn(w.p, 'admin@example.com');
    await confirmAccess(w.admin);
    const list = (await w.admin.get('/admin/subscribers/webhooks').expect(200)).text;
    assert.match(list, new RegExp(`action="/admin/subscribers/webhooks/${id}/enable"`));
    assert.equal((await submit(w.admin, '/admin/subscribers/webhooks', `/admin/subscribers/webhooks/${id}/enable`, {})).status, 303);
    createIncident(w.p.ctx, system, { name: 'After the fix', components: {} });
    await drainHooks(w.p);
    await w.receiver.until(() => w.receiver.received.some((r) => r.raw.includes('After the fix')));
    await settleMail(w.p);
    const notices = readdirSync(mailDir(w.p.ctx.config))
      .map((f) => readFileSync(join(mailDir(w.p.ctx.config), f), 'utf8'))
      .filter((m) => /Subject: Your webhook for Acme Status was disabled/.test(m));
    assert.equal(notices.length, 1);
    assert.match(notices[0] ?? '', /To: ops@example\.com/);
    assert.match(notices[0] ?? '', /\/down/);
    assert.doesNotMatch(notices[0] ?? '', /HTTP 503: ok/, "the receiver's own words are not mailed");
    assert.match(notices[0] ?? '', /last: HTTP 503\)/);
  });

  it('a public webhook whose name now resolves to loopback (DNS rebinding) is refused at delivery, resolved once, and nothing reaches it', async () => {
    clear();
    w.receiver.received.length = 0;
    dns.answer = () => ['127.0.0.1'];
    // As if it had been verified at a public address: the public may not reach private ones.
    const at = w.p.clock.now().toISOString();
    const url = `http://rebind.test:${w.receiver.port}/hook`;
    w.p.ctx.db
      .prepare(
        `INSERT INTO endpoints (id, kind, name, url, email, signing_secret, created_by, allow_private, verified_at, created_at, updated_at)
         VALUES ('rebound', 'webhook', ?, ?, 'ops@example.com', 'whsec_x', 'public', 0, ?, ?, ?)`,
      )
      .run(url, url, at, at, at);
    createIncident(w.p.ctx, system, { name: 'Rebinding', components: {} });
    await drainHooks(w.p);
    const row = deliveriesTo(w.p, 'rebound')[0];
    assert.equal(row?.state, 'queued');
    assert.match(row?.last_error ?? '', /rebind\.test resolves to 127\.0\.0\.1, which is not a public address/);
    assert.equal(w.receiver.received.length, 0);
    // One resolution for the delivery (an A and an AAAA query), and the socket would go to what it checked:
    // no second lookup that a rebinding server could answer differently.
    assert.equal(dns.queries.filter((q) => q.name === 'rebind.test' && q.type === 1).length, 1);
  });

  it('failures a week apart are two short streaks, not 24 hours of failing', async () => {
    clear();
    w.receiver.received.length = 0;
    const id = await hook('/sometimes');
    w.receiver.answer = () => ({ status: 500 });
    createIncident(w.p.ctx, system, { name: 'Blip', components: {} });
    await drainHooks(w.p);
    w.p.ctx.db.prepare("UPDATE deliveries SET state = 'failed' WHERE endpoint_id = ?").run(id);
    w.p.clock.advance(7 * 86_400_000);
    createIncident(w.p.ctx, system, { name: 'Another blip', components: {} });
    await drainHooks(w.p);
    assert.equal(w.receiver.received.length, 2);
    assert.equal(w.p.ctx.db.prepare('SELECT state FROM endpoints WHERE id = ?').pluck().get(id), 'active');
  });
});
