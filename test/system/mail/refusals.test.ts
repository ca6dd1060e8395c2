import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createIncident } from '../../../server/domain/incidents/writes.js';
import { importCsv } from '../../../server/domain/subscribers/import-export.js';
import { startPharos, type TestPharos, settleMail as sweep } from '../../helpers/pharos.js';
import { TestSmtp } from '../../helpers/smtp.js';

const system = { type: 'system' } as const;

/** A refusal is held against a subscriber only when it is about their address (5xx at RCPT TO). */
describe('whose fault a refusal is', () => {
  let smtp: TestSmtp;
  let p: TestPharos;
  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
    p = await startPharos({ env: { SMTP_URL: smtp.url } });
    importCsv(p.ctx, system, 'one@example.com\ntwo@example.com', true);
  });
  after(async () => {
    await p.close();
    await smtp.stop();
  });
  const states = () => p.ctx.db.prepare('SELECT state, bounce_count FROM subscribers ORDER BY email').all();

  it('a 5xx to the sender (a refused MAIL FROM, like a bad login) keeps the mail waiting and bounces nobody', async () => {
    smtp.decide = () => ({ accept: false, code: 553, message: '5.7.1 Sender address rejected', stage: 'mail' });
    for (let i = 0; i < 3; i++) createIncident(p.ctx, system, { name: `Outage ${i}` });
    await sweep(p);
    assert.deepEqual(p.ctx.db.prepare('SELECT DISTINCT state FROM deliveries').pluck().all(), ['queued']);
    assert.deepEqual(states(), [
      { state: 'confirmed', bounce_count: 0 },
      { state: 'confirmed', bounce_count: 0 },
    ]);
    assert.match(p.ctx.mail.state().lastError?.message ?? '', /Sender address rejected/);

    // Fixed: after the pause everything goes out.
    smtp.decide = () => ({ accept: true });
    p.clock.advance(31_000);
    await sweep(p);
    await smtp.until(() => smtp.received.length === 6);
    assert.deepEqual(p.ctx.db.prepare('SELECT DISTINCT state FROM deliveries').pluck().all(), ['sent']);
  });

  it('a 5xx after the data fails that message only, without counting against the address', async () => {
    smtp.decide = (to) => (to === 'one@example.com' ? { accept: false, code: 554, message: '5.7.1 Message content rejected' } : { accept: true });
    for (let i = 0; i < 3; i++) createIncident(p.ctx, system, { name: `Content ${i}` });
    await sweep(p);
    await smtp.until(() => smtp.to('two@example.com').length === 6);
    const failed = p.ctx.db.prepare("SELECT COUNT(*) FROM deliveries WHERE state = 'failed' AND recipient = 'one@example.com'").pluck().get();
    assert.equal(failed, 3);
    assert.deepEqual(states(), [
      { state: 'confirmed', bounce_count: 0 },
      { state: 'confirmed', bounce_count: 0 },
    ]);
  });
});
