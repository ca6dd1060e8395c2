import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createComponent } from '../../../server/domain/page/components.js';
import { findSubscriber, updateChoice } from '../../../server/domain/subscribers/subscribers.js';
import { importCsv } from '../../../server/domain/subscribers/import-export.js';
import { confirmAccess, csrfOf, type Agent, type TestPharos, settleMail as settle, PASSWORD, submit } from '../../helpers/pharos.js';
import { startMailWorld } from '../../helpers/mail-world.js';
import { parseCsv } from '../../helpers/csv.js';
import { TestSmtp } from '../../helpers/smtp.js';

const system = { type: 'system' } as const;

/** The addresses listed in the subscribers table of the admin page. */
const listed = (html: string) => [...html.matchAll(/<tr>\s*<td data-label="Email">([^<]+)<\/td><td data-label="State">/g)].map((m) => m[1]).sort();

const stateOf = (p: TestPharos, email: string) => p.ctx.db.prepare('SELECT state FROM subscribers WHERE email = ?').pluck().get(email) as string | undefined;
const auditRows = (p: TestPharos, action: string) =>
  p.ctx.db.prepare('SELECT actor, subject, detail FROM audit_log WHERE action = ? ORDER BY id').all(action) as {
    actor: string;
    subject: string;
    detail: string;
  }[];

/** The CSV export, as an admin gets it: the export form, with the password typed again. */
async function exportCsvAs(agent: Agent) {
  const res = await submit(agent, '/admin/subscribers/export', '/admin/subscribers/export.csv', { confirm_password: PASSWORD });
  assert.equal(res.status, 200, res.text.slice(0, 300));
  return res;
}

describe('the admin subscribers page: counts, search, filter, remove, export and import CSV', () => {
  let smtp: TestSmtp;
  let p: TestPharos;
  let admin: Agent;
  let operator: Agent;

  before(async () => {
    ({ smtp, p, admin, operator } = await startMailWorld());
    // The list of addresses opens after the password is typed again (reauth.test.ts); the clock stands still here.
    await confirmAccess(admin);

    // A component whose name a spreadsheet would run as a formula.
    const formula = createComponent(p.ctx, system, { name: '=HYPERLINK("http://evil.test","x")' }).id;
    importCsv(p.ctx, system, 'alice@example.com\nbob@example.org\ncarol@example.com\nerin@example.net\nfrank@example.net\n-2+3@example.com\n', true);
    importCsv(p.ctx, system, 'dave@example.com\n', false);
    p.ctx.db.prepare("UPDATE subscribers SET state = 'unsubscribed' WHERE email = 'erin@example.net'").run();
    p.ctx.db.prepare("UPDATE subscribers SET state = 'bounced', bounce_count = 3 WHERE email = 'frank@example.net'").run();
    const carol = findSubscriber(p.ctx.db, p.ctx.db.prepare("SELECT id FROM subscribers WHERE email = 'carol@example.com'").pluck().get() as string);
    assert.ok(carol);
    updateChoice(p.ctx, carol, { all: false, components: [formula] });
    await smtp.until(() => smtp.to('dave@example.com').length === 1);
  });
  after(async () => {
    await p.close();
    await smtp.stop();
  });

  it('shows the counts per state', async () => {
    const page = await admin.get('/admin/subscribers').expect(200);
    assert.match(page.text, /7 in all/);
    assert.match(page.text, /4 confirmed/);
    assert.match(page.text, /1 pending/);
    assert.match(page.text, /1 unsubscribed/);
    assert.match(page.text, /1 bounced/);
    assert.equal(listed(page.text).length, 7);
  });

  it('searches by part of an address, and filters by state', async () => {
    assert.deepEqual(listed((await admin.get('/admin/subscribers').query({ q: 'example.org' }).expect(200)).text), ['bob@example.org']);
    assert.deepEqual(listed((await admin.get('/admin/subscribers').query({ q: 'ALI' }).expect(200)).text), ['alice@example.com']);
    assert.deepEqual(listed((await admin.get('/admin/subscribers').query({ q: 'example.net' }).expect(200)).text), ['erin@example.net', 'frank@example.net']);
    // LIKE wildcards are taken literally.
    const none = await admin.get('/admin/subscribers').query({ q: '%' }).expect(200);
    assert.deepEqual(listed(none.text), []);
    assert.match(none.text, /No subscribers match/);
    assert.deepEqual(listed((await admin.get('/admin/subscribers').query({ q: '_' }).expect(200)).text), []);

    const confirmed = await admin.get('/admin/subscribers').query({ state: 'confirmed' }).expect(200);
    assert.deepEqual(listed(confirmed.text), ['-2+3@example.com', 'alice@example.com', 'bob@example.org', 'carol@example.com']);
    assert.match(confirmed.text, /<option value="confirmed" selected>/);
    assert.deepEqual(listed((await admin.get('/admin/subscribers').query({ state: 'pending' }).expect(200)).text), ['dave@example.com']);
    assert.deepEqual(listed((await admin.get('/admin/subscribers').query({ state: 'bounced' }).expect(200)).text), ['frank@example.net']);
    assert.deepEqual(listed((await admin.get('/admin/subscribers').query({ state: 'unsubscribed' }).expect(200)).text), ['erin@example.net']);
    assert.deepEqual(listed((await admin.get('/admin/subscribers').query({ q: 'example.com', state: 'confirmed' }).expect(200)).text), [
      '-2+3@example.com',
      'alice@example.com',
      'carol@example.com',
    ]);
    // An unknown state is no filter.
    assert.equal(listed((await admin.get('/admin/subscribers').query({ state: 'nonsense' }).expect(200)).text).length, 7);
  });

  it('exports CSV only with the password typed again: a header, one line per subscriber, formulas defused', async () => {
    // A GET exports nothing: it leads to the form that asks for the password.
    const got = await admin.get('/admin/subscribers/export.csv').expect(303);
    assert.equal(got.headers.location, '/admin/subscribers/export');
    const refused = await submit(admin, '/admin/subscribers/export', '/admin/subscribers/export.csv', { confirm_password: 'not my password' });
    assert.equal(refused.status, 422);
    assert.match(refused.text, /That is not your password/);
    assert.doesNotMatch(refused.text, /@example\.com/, 'no address shown');
    const missing = await submit(admin, '/admin/subscribers/export', '/admin/subscribers/export.csv', {});
    assert.equal(missing.status, 422);
    assert.match(missing.text, /Enter your password to confirm/);
    const res = await exportCsvAs(admin);
    assert.match(String(res.headers['content-type']), /^text\/csv/);
    assert.match(String(res.headers['content-disposition']), /^attachment; filename="subscribers-[\d-]+\.csv"$/);
    const rows = parseCsv(res.text);
    assert.deepEqual(rows[0], ['email', 'state', 'components', 'created_at', 'confirmed_at', 'unsubscribed_at']);
    assert.equal(rows.length, 1 + 7);
    const emails = rows.slice(1).map((r) => r[0]);
    assert.equal(new Set(emails).size, 7);
    for (const row of rows) {
      assert.equal(row.length, 6, `six cells in ${JSON.stringify(row)}`);
      for (const cell of row) assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `a cell a spreadsheet would run: ${cell}`);
    }
    const carol = rows.find((r) => r[0] === 'carol@example.com');
    assert.equal(carol?.[2], `'=HYPERLINK("http://evil.test","x")`, 'the formula is kept as text');
    assert.ok(emails.includes(`'-2+3@example.com`));
    assert.equal(rows.find((r) => r[0] === 'alice@example.com')?.[1], 'confirmed');
    assert.equal(rows.find((r) => r[0] === 'alice@example.com')?.[2], 'all');
  });

  it('removes a subscriber after a confirmation page, with an audit row', async () => {
    const id = p.ctx.db.prepare("SELECT id FROM subscribers WHERE email = 'bob@example.org'").pluck().get() as string;
    const page = await admin.get(`/admin/subscribers/${id}/delete`).expect(200);
    assert.match(page.text, /bob@example\.org/);
    assert.equal(stateOf(p, 'bob@example.org'), 'confirmed', 'the confirmation page changes nothing');
    const res = await admin
      .post(`/admin/subscribers/${id}/delete`)
      .type('form')
      .send({ _csrf: csrfOf(page.text) });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/admin/subscribers');
    assert.equal(stateOf(p, 'bob@example.org'), undefined);
    const rows = auditRows(p, 'subscriber.removed');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.subject, 'bob@example.org');
    assert.match(rows[0]?.actor ?? '', /admin@acme\.test|admin/);
    assert.match((await admin.get('/admin/subscribers').expect(200)).text, /6 in all/);

    // Without the form's token, nothing is removed; an unknown id is 404.
    const aliceId = p.ctx.db.prepare("SELECT id FROM subscribers WHERE email = 'alice@example.com'").pluck().get() as string;
    assert.equal((await admin.post(`/admin/subscribers/${aliceId}/delete`).type('form').send({})).status, 403);
    assert.equal(stateOf(p, 'alice@example.com'), 'confirmed');
    await admin.get('/admin/subscribers/nosuch/delete').expect(404);
  });

  const importToken = async () => csrfOf((await admin.get('/admin/subscribers/import').expect(200)).text);

  it('imports a CSV file: new addresses pending with a confirmation email each, known ones skipped, invalid lines listed', async () => {
    const before = smtp.received.length;
    const csv = 'email,name\nnew1@example.com,New One\nalice@example.com,Alice\nnot-an-address,Nobody\n"New2@Example.com",Two\n\n';
    const res = await admin
      .post('/admin/subscribers/import')
      .field('_csrf', await importToken())
      .attach('file', Buffer.from(csv), { filename: 'list.csv', contentType: 'text/csv' });
    assert.equal(res.status, 200, res.text.slice(0, 500));
    assert.match(res.text, /2 added, 1 already known, 1 not valid/);
    assert.match(res.text, /line 4: not-an-address/);
    assert.equal(stateOf(p, 'new1@example.com'), 'pending');
    assert.equal(stateOf(p, 'new2@example.com'), 'pending');
    assert.equal(stateOf(p, 'alice@example.com'), 'confirmed', 'a known address is left as it is');
    await smtp.until(() => smtp.to('new1@example.com').length === 1 && smtp.to('new2@example.com').length === 1);
    await settle(p);
    assert.equal(smtp.received.length, before + 2, 'one confirmation each, nothing to alice');
    assert.match(smtp.to('new1@example.com')[0]?.mail.subject ?? '', /Confirm your subscription/);
    const audit = auditRows(p, 'subscribers.imported').at(-1);
    assert.ok(audit);
    assert.match(audit.detail, /"alreadyConfirmed":false/);
  });

  it('imports pasted addresses from the textarea', async () => {
    const res = await admin
      .post('/admin/subscribers/import')
      .field('_csrf', await importToken())
      .field('csv', 'pasted1@example.com\npasted2@example.com\nnew1@example.com\n');
    assert.equal(res.status, 200, res.text.slice(0, 500));
    assert.match(res.text, /2 added, 1 already known/);
    assert.equal(stateOf(p, 'pasted1@example.com'), 'pending');
    await smtp.until(() => smtp.to('pasted1@example.com').length === 1 && smtp.to('pasted2@example.com').length === 1);
    await settle(p);
    assert.equal(smtp.to('new1@example.com').length, 1, 'no second confirmation for a known address');
  });

  it('with "already confirmed elsewhere" adds them confirmed, sends nothing, and records it in the audit log', async () => {
    const before = smtp.received.length;
    const deliveries = p.ctx.db.prepare('SELECT COUNT(*) FROM deliveries').pluck().get() as number;
    const audits = auditRows(p, 'subscribers.imported').length;
    const res = await admin
      .post('/admin/subscribers/import')
      .field('_csrf', await importToken())
      .field('already_confirmed', 'on')
      .attach('file', Buffer.from('elsewhere1@example.com\r\nelsewhere2@example.com\r\n'), 'list.csv');
    assert.equal(res.status, 200, res.text.slice(0, 500));
    assert.match(res.text, /2 added/);
    assert.equal(stateOf(p, 'elsewhere1@example.com'), 'confirmed');
    assert.equal(stateOf(p, 'elsewhere2@example.com'), 'confirmed');
    await settle(p);
    assert.equal(smtp.received.length, before, 'no confirmation email');
    assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM deliveries').pluck().get(), deliveries, 'nothing queued');
    const rows = auditRows(p, 'subscribers.imported');
    assert.equal(rows.length, audits + 1);
    assert.match(rows.at(-1)?.detail ?? '', /"alreadyConfirmed":true/);
    assert.match(rows.at(-1)?.detail ?? '', /"added":2/);
    assert.match(rows.at(-1)?.actor ?? '', /admin/);
  });

  it('takes a file saved by a spreadsheet, with a byte order mark and CRLF lines', async () => {
    const excel = await admin
      .post('/admin/subscribers/import')
      .field('_csrf', await importToken())
      .attach('file', Buffer.from('\uFEFFemail\r\nexcel@example.com\r\n'), 'list.csv');
    assert.equal(excel.status, 200);
    assert.match(excel.text, /1 added, 0 already known/);
    assert.doesNotMatch(excel.text, /not valid/);
    assert.equal(stateOf(p, 'excel@example.com'), 'pending');
    await settle(p);
  });

  it('takes its own export back unchanged: every address known, none altered by the formula defusing', async () => {
    const total = p.ctx.db.prepare('SELECT COUNT(*) FROM subscribers').pluck().get() as number;
    const exported = (await exportCsvAs(admin)).text;
    assert.ok(exported.includes(`"'-2+3@example.com"`), 'the export defuses the address');
    const again = await admin
      .post('/admin/subscribers/import')
      .field('_csrf', await importToken())
      .attach('file', Buffer.from(exported), 'export.csv');
    assert.equal(again.status, 200);
    const bogus = stateOf(p, "'-2+3@example.com");
    await settle(p);
    assert.equal(bogus, undefined, "the defused cell '-2+3@example.com was imported as a new address (and sent a confirmation)");
    assert.match(again.text, new RegExp(`0 added, ${total} already known`));
    assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM subscribers').pluck().get(), total);
  });

  it('refuses an empty import with a message, and one without the form token', async () => {
    const empty = await admin
      .post('/admin/subscribers/import')
      .field('_csrf', await importToken())
      .field('csv', '  ');
    assert.equal(empty.status, 422);
    assert.match(empty.text, /<p class="field-error" id="csv-error">/);
    const count = p.ctx.db.prepare('SELECT COUNT(*) FROM subscribers').pluck().get();
    const forged = await admin.post('/admin/subscribers/import').attach('file', Buffer.from('forged@example.com\n'), 'list.csv');
    assert.equal(forged.status, 403);
    assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM subscribers').pluck().get(), count);
  });

  it('an operator gets 403 on all of it, and changes nothing', async () => {
    const id = p.ctx.db.prepare("SELECT id FROM subscribers WHERE email = 'alice@example.com'").pluck().get() as string;
    const token = csrfOf((await operator.get('/admin').expect(200)).text);
    for (const path of [
      '/admin/subscribers',
      '/admin/subscribers?q=alice',
      '/admin/subscribers/export',
      '/admin/subscribers/import',
      `/admin/subscribers/${id}/delete`,
    ]) {
      const res = await operator.get(path);
      assert.equal(res.status, 403, `GET ${path}`);
      assert.doesNotMatch(res.text, /alice@example\.com/, `GET ${path} shows no address`);
    }
    const count = p.ctx.db.prepare('SELECT COUNT(*) FROM subscribers').pluck().get();
    assert.equal((await operator.post(`/admin/subscribers/${id}/delete`).type('form').send({ _csrf: token })).status, 403);
    assert.equal(stateOf(p, 'alice@example.com'), 'confirmed');
    const imported = await operator
      .post('/admin/subscribers/import')
      .field('_csrf', token)
      .field('already_confirmed', 'on')
      .attach('file', Buffer.from('byoperator@example.com\n'), 'list.csv');
    assert.equal(imported.status, 403);
    const pasted = await operator.post('/admin/subscribers/import').field('_csrf', token).field('csv', 'byoperator@example.com');
    assert.equal(pasted.status, 403);
    assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM subscribers').pluck().get(), count);
    assert.equal(stateOf(p, 'byoperator@example.com'), undefined);
  });
});
