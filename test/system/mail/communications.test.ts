import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createComponent } from '../../../server/domain/page/components.js';
import { findSubscriber, updateChoice } from '../../../server/domain/subscribers/subscribers.js';
import { importCsv } from '../../../server/domain/subscribers/import-export.js';
import { viewer } from '../../helpers/viewer.js';
import { addUser, signIn, startPharos, submit, type Agent, type TestPharos, settleMail as settle } from '../../helpers/pharos.js';
import { TestSmtp, type Received } from '../../helpers/smtp.js';

const system = { type: 'system' } as const;

const ALL = 'everything@example.com';
const ONE = 'webonly@example.com';

const HEADINGS = ['What happened', 'What information was involved', 'What we are doing', 'What you can do', 'For more information'];

/** A complete data-protection notice; every value plain text so that it reads the same escaped or not. */
const complete = (title: string) =>
  ({
    category: 'data_protection',
    title,
    what_happened: 'On 28 November an attacker copied part of the customer database',
    data_involved: 'Names and email addresses; no passwords or payment details',
    consequences: 'You may receive phishing emails that look like ours',
    measures: 'We closed the hole, rotated every credential and informed the supervisory authority',
    what_to_do: 'Be wary of emails asking for your password; we never ask for it',
    contact: 'Our data protection officer, dpo at acme.test',
    body: '',
    incident_id: '',
  }) satisfies Record<string, string>;
const REQUIRED = ['what_happened', 'data_involved', 'consequences', 'measures', 'what_to_do', 'contact'] as const;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The headings, in this order, somewhere in the text. */
const inOrder = (items: string[]) => new RegExp(items.map(escapeRe).join('[\\s\\S]*'));

describe('official communications: data-protection notices, delivery to everyone, pages, live push, corrections', () => {
  let smtp: TestSmtp;
  let p: TestPharos;
  let admin: Agent;
  let web: string;

  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
    p = await startPharos({ env: { SMTP_URL: smtp.url, PAGE_NAME: 'ACME Status' }, listen: true });
    await addUser(p, 'admin@acme.test', 'admin');
    admin = await signIn(p, 'admin@acme.test');
    createComponent(p.ctx, system, { name: 'API' });
    web = createComponent(p.ctx, system, { name: 'Web app' }).id;
    const imported = importCsv(p.ctx, system, `email\n${ALL}\n${ONE}\n`, true);
    assert.equal(imported.added, 2);
    const id = p.ctx.db.prepare('SELECT id FROM subscribers WHERE email = ?').pluck().get(ONE) as string;
    const sub = findSubscriber(p.ctx.db, id);
    assert.ok(sub);
    updateChoice(p.ctx, sub, { all: false, components: [web] });
    assert.equal(p.ctx.db.prepare('SELECT all_components FROM subscribers WHERE email = ?').pluck().get(ONE), 0);
    assert.deepEqual(p.ctx.db.prepare('SELECT component_id FROM subscriber_components').pluck().all(), [web]);
  });
  after(async () => {
    await p.close();
    await smtp.stop();
  });

  const count = (table: 'communications' | 'deliveries') => p.ctx.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
  const publish = (fields: Record<string, string>) => submit(admin, '/admin/communications/new', '/admin/communications', fields);
  const idFrom = (location: string | undefined) => {
    const m = /^\/admin\/communications\/([a-z0-9]+)$/.exec(location ?? '');
    assert.ok(m?.[1], `redirected to a notice, got ${location}`);
    return m[1];
  };

  for (const missing of REQUIRED) {
    it(`refuses a data-protection notice without ${missing}, with the message by that field and the values kept`, async () => {
      const fields = { ...complete(`Breach notice without ${missing}`), [missing]: missing === 'contact' ? '   ' : '' };
      const res = await publish(fields);
      assert.equal(res.status, 422);
      assert.match(res.text, new RegExp(`<p class="field-error" id="${missing}-error">A data protection notice must say this`));
      assert.match(res.text, new RegExp(`name="${missing}"[^>]*aria-invalid="true"`));
      const otherErrors = [...res.text.matchAll(/<p class="field-error" id="([a-z_]+)-error">/g)].map((m) => m[1]);
      assert.deepEqual(otherErrors, [missing], 'only the missing field is marked');
      // What was typed comes back.
      assert.match(res.text, new RegExp(`name="title"[^>]*value="${escapeRe(fields.title ?? '')}"`));
      for (const name of REQUIRED.filter((n) => n !== missing)) {
        assert.match(res.text, new RegExp(`name="${name}"[^>]*>${escapeRe(fields[name] ?? '')}</textarea>`), `${name} kept`);
      }
      assert.match(res.text, /<option value="data_protection" selected>/);
      assert.equal(count('communications'), 0);
      assert.equal(count('deliveries'), 0);
    });
  }

  it('refuses a general notice without a body, naming "body"', async () => {
    const res = await publish({ category: 'general', title: 'Maintenance window', body: '', incident_id: '' });
    assert.equal(res.status, 422);
    assert.match(res.text, /<p class="field-error" id="body-error">[^<]+<\/p>/);
    assert.match(res.text, /name="body"[^>]*aria-invalid="true"/);
    assert.match(res.text, /value="Maintenance window"/);
    assert.equal(count('communications'), 0);
    assert.equal(count('deliveries'), 0);
    await settle(p);
    assert.equal(smtp.received.length, 0);
  });

  let v1 = '';
  const TITLE = 'Customer data exposed';

  it('publishes a complete notice: both subscribers get it with its headings, whatever components they chose; it is on the status page and its own page, and pushed live', async () => {
    const v = viewer(p.url);
    const first = await v.next(() => true);
    assert.doesNotMatch(first.html.notices, new RegExp(TITLE));

    const res = await publish(complete(TITLE));
    assert.equal(res.status, 303, res.text.slice(0, 500));
    v1 = idFrom(res.headers.location);
    const row = p.ctx.db.prepare('SELECT version, series_id, replaces_id, category FROM communications WHERE id = ?').get(v1);
    assert.deepEqual(row, { version: 1, series_id: v1, replaces_id: null, category: 'data_protection' });

    // Live: the viewer's next page event carries the notice.
    const pushed = await v.next((u) => u.html.notices.includes(TITLE));
    assert.match(pushed.html.notices, /Notices/);
    assert.match(pushed.html.notices, new RegExp(`href="/notices/${v1}"`));
    v.socket.close();

    // Mail: one to each subscriber, the one who chose only the web app included.
    await smtp.until(() => smtp.to(ALL).length === 1 && smtp.to(ONE).length === 1);
    await settle(p);
    assert.equal(smtp.to(ALL).length, 1);
    assert.equal(smtp.to(ONE).length, 1);
    const data = complete(TITLE);
    for (const m of [smtp.to(ALL)[0], smtp.to(ONE)[0]] as Received[]) {
      assert.equal(m.mail.subject, `Data protection notice: ${TITLE} · ACME Status`);
      const text = m.mail.text ?? '';
      const html = m.mail.html || '';
      assert.ok(html, 'an HTML part');
      assert.match(text, inOrder(HEADINGS));
      assert.match(html, inOrder(HEADINGS.map((h) => `>${h}</h2>`)));
      for (const name of REQUIRED) {
        assert.ok(text.includes(data[name] ?? ''), `the text says ${name}`);
        assert.ok(html.includes(data[name] ?? ''), `the HTML says ${name}`);
      }
      assert.match(text, new RegExp(`/notices/${v1}`), 'a link to its page');
      // The message says what kind of notice it is, in its first line, as the template intends.
      assert.match(text.trimStart(), /^Data protection notice/);
    }

    // The status page, under "Notices".
    const status = await request(p.app).get('/').expect(200);
    assert.match(status.text, new RegExp(`<h2 class="section-title">Notices</h2>[\\s\\S]*<a href="/notices/${v1}">${TITLE}</a>`));
    const list = await request(p.app).get('/notices').expect(200);
    assert.match(list.text, new RegExp(TITLE));

    // Its own page, with the headings.
    const page = await request(p.app).get(`/notices/${v1}`).expect(200);
    assert.match(page.text, new RegExp(`<h1>${TITLE}</h1>`));
    assert.match(page.text, /<p class="muted">Data protection notice · published/, 'the page says what kind of notice it is');
    assert.match(page.text, inOrder(HEADINGS.map((h) => `<h2>${h}</h2>`)));
    for (const name of REQUIRED) assert.ok(page.text.includes(data[name] ?? ''), `the page says ${name}`);
    assert.doesNotMatch(page.text, /was corrected/);
  });

  let v2 = '';
  it('a correction is version 2, linked to version 1; both pages stay; version 1 says it was corrected; subscribers get "[Correction]"', async () => {
    assert.ok(v1, 'needs the notice published above');
    const form = await admin.get(`/admin/communications/${v1}/correct`).expect(200);
    assert.match(form.text, new RegExp(`value="${TITLE}"`), 'the form starts from the published version');
    const fields = { ...complete(TITLE), data_involved: 'Names, email addresses and postal addresses; no passwords or payment details' };
    const res = await submit(admin, `/admin/communications/${v1}/correct`, `/admin/communications/${v1}/correct`, fields);
    assert.equal(res.status, 303, res.text.slice(0, 500));
    v2 = idFrom(res.headers.location);
    assert.notEqual(v2, v1);
    const row = p.ctx.db.prepare('SELECT version, series_id, replaces_id FROM communications WHERE id = ?').get(v2);
    assert.deepEqual(row, { version: 2, series_id: v1, replaces_id: v1 });
    // Version 1 is untouched.
    assert.equal(p.ctx.db.prepare('SELECT data_involved FROM communications WHERE id = ?').pluck().get(v1), complete(TITLE).data_involved);

    const old = await request(p.app).get(`/notices/${v1}`).expect(200);
    assert.match(old.text, /This notice was corrected/);
    assert.match(old.text, new RegExp(`<a href="/notices/${v2}">`));
    assert.ok(old.text.includes(complete(TITLE).data_involved), 'version 1 still shows what it said');
    const current = await request(p.app).get(`/notices/${v2}`).expect(200);
    assert.doesNotMatch(current.text, /This notice was corrected/);
    assert.ok(current.text.includes(fields.data_involved));
    assert.match(current.text, new RegExp(`<a href="/notices/${v1}">Version 1</a>`), 'the correction links back to what it replaces');

    // The status page lists the notice once, as its newest version.
    const status = await request(p.app).get('/').expect(200);
    assert.match(status.text, new RegExp(`href="/notices/${v2}"`));
    assert.equal(status.text.split(TITLE).length - 1, 1);

    await smtp.until(() => smtp.to(ALL).length === 2 && smtp.to(ONE).length === 2);
    for (const address of [ALL, ONE]) {
      const [original, correction] = smtp.to(address);
      assert.ok(original && correction);
      assert.match(correction.mail.subject ?? '', /^\[Correction\] /);
      assert.match(correction.mail.subject ?? '', new RegExp(TITLE));
      assert.ok((correction.mail.text ?? '').includes(fields.data_involved));
      assert.match(correction.mail.text ?? '', inOrder(HEADINGS));
      assert.notEqual(correction.mail.messageId, original.mail.messageId);
      assert.equal(String(correction.mail.inReplyTo), String(original.mail.inReplyTo), 'one thread per notice');
    }
  });

  it('refuses a correction of a version that is not the newest', async () => {
    assert.ok(v1 && v2, 'needs the correction above');
    await settle(p);
    const [communications, deliveries, received] = [count('communications'), count('deliveries'), smtp.received.length];
    const res = await submit(admin, `/admin/communications/${v1}/correct`, `/admin/communications/${v1}/correct`, {
      ...complete(TITLE),
      measures: 'A second, conflicting correction',
    });
    assert.equal(res.status, 422);
    assert.match(res.text, /A newer version of this notice exists/);
    assert.equal(count('communications'), communications);
    assert.equal(count('deliveries'), deliveries);
    await settle(p);
    assert.equal(smtp.received.length, received);
    // The admin page of version 1 offers no correction; version 2's does.
    assert.doesNotMatch((await admin.get(`/admin/communications/${v1}`).expect(200)).text, /Publish a correction/);
    assert.match((await admin.get(`/admin/communications/${v2}`).expect(200)).text, /Publish a correction/);
  });
});
