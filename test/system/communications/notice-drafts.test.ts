import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createIncident } from '../../../server/domain/incidents/writes.js';
import { flagPersonalData, openClocks } from '../../../server/domain/incidents/data-protection.js';
import { importCsv } from '../../../server/domain/subscribers/import-export.js';
import { manageToken } from '../../../server/domain/subscribers/tokens.js';
import { findSubscriber } from '../../../server/domain/subscribers/subscribers.js';
import { addUser, advanceActive, csrfOf, settleMail, signIn, startPharos, submit, type Agent, type TestPharos } from '../../helpers/pharos.js';
import { TestSmtp } from '../../helpers/smtp.js';
import { completeNotice, draftIdOf, HEADINGS, hiddenField, previewedText, REQUIRED, unframed } from '../../helpers/notice-drafts.js';

const system = { type: 'system' } as const;
const READER = 'reader@example.com';
const HOUR = 3_600_000;

/** Every public document a notice could show up in: the page, its notices, the feeds, the v2 API, the history. */
const PUBLIC = ['/', '/notices', '/history', '/history.atom', '/history.rss', '/api/v2/summary.json', '/api/v2/incidents.json', '/api/v2/status.json'];

/**
 * Drafts of official notices (item 6 of issue 20): a notice that can never be edited once published is
 * drafted, edited, previewed as its page and its mail will show it, then published; drafts are never
 * public, and the 72-hour clock shows while drafting without being stopped by it.
 */
describe('drafting, previewing and publishing an official notice', () => {
  let smtp: TestSmtp;
  let p: TestPharos;
  let admin: Agent;
  let other: Agent;

  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
    p = await startPharos({ env: { SMTP_URL: smtp.url, PAGE_NAME: 'ACME Status', PUBLIC_URL: 'http://status.acme.test' } });
    await addUser(p, 'admin@acme.test', 'admin');
    await addUser(p, 'second@acme.test', 'admin');
    admin = await signIn(p, 'admin@acme.test');
    other = await signIn(p, 'second@acme.test');
    assert.equal(importCsv(p.ctx, system, `email\n${READER}\n`, true).added, 1);
  });
  after(async () => {
    await p.close();
    await smtp.stop();
  });

  const count = (table: string) => p.ctx.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
  const draftRow = (id: string) => p.ctx.db.prepare('SELECT * FROM communication_drafts WHERE id = ?').get(id) as Record<string, unknown> | undefined;
  const newDraft = async (fields: Record<string, string>, action: 'save' | 'preview' = 'save') => {
    const res = await submit(admin, '/admin/communications/new', '/admin/communications', { ...fields, action });
    assert.equal(res.status, 303, res.text.slice(0, 400));
    return draftIdOf(res.headers.location);
  };
  /** Sends a draft's form as the page shows it (its CSRF token and revision), with `fields` typed. */
  const saveDraft = async (agent: Agent, id: string, fields: Record<string, string>, action: 'save' | 'preview' = 'save') => {
    const page = await agent.get(`/admin/communications/drafts/${id}`).expect(200);
    return agent
      .post(`/admin/communications/drafts/${id}`)
      .type('form')
      .send({ _csrf: csrfOf(page.text), revision: hiddenField(page.text, 'revision'), ...fields, action });
  };
  const publish = async (id: string) => {
    const preview = await admin.get(`/admin/communications/drafts/${id}/preview`).expect(200);
    return admin
      .post(`/admin/communications/drafts/${id}/publish`)
      .type('form')
      .send({ _csrf: csrfOf(preview.text), revision: hiddenField(preview.text, 'revision'), _once: hiddenField(preview.text, '_once') });
  };

  it('saves a draft that nobody outside the admin sees: no page, feed, API, live event or mail', async () => {
    const marker = 'Draft-only marker 7f3a';
    const [events, version] = [count('events'), p.ctx.snapshot.current().version];
    const id = await newDraft({ category: 'data_protection', title: marker, what_happened: `${marker}: the first lines`, incident_id: '' });
    const row = draftRow(id);
    assert.equal(row?.title, marker);
    assert.equal(row?.revision, 1);
    assert.equal(count('communications'), 0);
    assert.equal(count('deliveries'), 0, 'nothing queued: no mail, chat or webhook');
    assert.equal(count('events'), events, 'no page event: nothing is rebuilt or pushed to viewers');
    assert.equal(p.ctx.snapshot.current().version, version);
    assert.equal(p.ctx.db.prepare("SELECT subject FROM audit_log WHERE action = 'communication.draft_created'").pluck().get(), id);

    for (const path of PUBLIC) {
      const res = await request(p.app).get(path);
      assert.ok(res.status === 200, `${path}: ${res.status}`);
      assert.ok(!res.text.includes(marker), `${path} shows the draft`);
    }
    await request(p.app).get(`/notices/${id}`).expect(404);
    await settleMail(p);
    assert.equal(smtp.received.length, 0);

    // The admin lists it as a draft, with its form filled in.
    const list = await admin.get('/admin/communications').expect(200);
    assert.match(list.text, new RegExp(`<h2>Drafts</h2>[\\s\\S]*href="/admin/communications/drafts/${id}">${marker}</a>`));
    const form = await admin.get(`/admin/communications/drafts/${id}?saved=1`).expect(200);
    assert.match(form.text, /Draft saved\. It is not public/);
    assert.match(form.text, new RegExp(`name="title"[^>]*value="${marker}"`));
    assert.ok(form.text.includes(`>${marker}: the first lines</textarea>`));
  });

  it('edits a draft; a form opened before someone else saved is refused with what was typed, then saved knowingly', async () => {
    const id = await newDraft({ category: 'general', title: 'Planned change to our terms', body: 'First words.', incident_id: '' });
    const mine = await admin.get(`/admin/communications/drafts/${id}`).expect(200);
    const theirs = await saveDraft(other, id, { category: 'general', title: 'Planned change to our terms', body: 'Their words.', incident_id: '' });
    assert.equal(theirs.status, 303);
    assert.equal(theirs.headers.location, `/admin/communications/drafts/${id}?saved=1`);
    assert.equal(draftRow(id)?.revision, 2);

    // Mine, from the form opened at revision 1: refused, nothing overwritten, my text kept.
    const stale = await admin
      .post(`/admin/communications/drafts/${id}`)
      .type('form')
      .send({
        _csrf: csrfOf(mine.text),
        revision: hiddenField(mine.text, 'revision'),
        category: 'general',
        title: 'Planned change to our terms',
        body: 'My words.',
        action: 'save',
      });
    assert.equal(stale.status, 409);
    assert.match(stale.text, /second saved this draft after you opened it, so nothing was saved/);
    assert.ok(stale.text.includes('>My words.</textarea>'), 'what was typed comes back');
    assert.equal(draftRow(id)?.body, 'Their words.');
    // Sent again from the refused form (now at their revision): saved, replacing theirs.
    const again = await admin
      .post(`/admin/communications/drafts/${id}`)
      .type('form')
      .send({
        _csrf: csrfOf(stale.text),
        revision: hiddenField(stale.text, 'revision'),
        category: 'general',
        title: 'Planned change to our terms',
        body: 'My words.',
        action: 'save',
      });
    assert.equal(again.status, 303);
    assert.equal(draftRow(id)?.body, 'My words.');
    assert.equal(draftRow(id)?.revision, 3);
    assert.equal(count('communications'), 0);
  });

  it('refuses bad input to a draft with a 4xx naming the field, changing nothing', async () => {
    const id = await newDraft({ category: 'general', title: 'Short', body: 'Text.', incident_id: '' });
    const before = JSON.stringify(draftRow(id));
    for (const [fields, name] of [
      [{ category: 'gossip', title: 'x' }, 'category'],
      [{ category: 'general', title: 'x'.repeat(201) }, 'title'],
      [{ category: 'general', title: 'two\nlines' }, 'title'],
      [{ category: 'general', title: 'x', incident_id: 'nosuchincident' }, 'incident_id'],
      [{ category: 'general', title: 'x', body: 'y'.repeat(20_001) }, 'body'],
    ] as const) {
      const res = await saveDraft(admin, id, { ...fields });
      assert.equal(res.status, 422, `${name}: ${res.status}`);
      assert.match(res.text, new RegExp(`<p class="field-error" id="${name}-error">`), name);
      assert.equal(JSON.stringify(draftRow(id)), before);
    }
    const json = await admin.post(`/admin/communications/drafts/${id}`).set('Accept', 'application/json').type('form').send({ title: 'no token' });
    assert.ok(json.status >= 400 && json.status < 500);
    await admin.get('/admin/communications/drafts/nosuchdraft').expect(404);
  });

  it('previews the page and the mail exactly as they are published, then publishes that revision once', async () => {
    const title = 'Customer data exposed';
    // An incomplete draft: the preview says what is missing and offers no publication.
    const id = await newDraft({ category: 'data_protection', title, what_happened: completeNotice(title).what_happened ?? '', incident_id: '' }, 'preview');
    const incomplete = await admin.get(`/admin/communications/drafts/${id}/preview`).expect(200);
    assert.match(incomplete.text, /<h2 id="problems-title">Not ready to publish<\/h2>/);
    for (const label of ['What information was involved', 'Likely consequences', 'What we are doing', 'What you can do', 'For more information']) {
      assert.ok(incomplete.text.includes(`<li>${label}: A data protection notice must say this`), label);
    }
    assert.doesNotMatch(incomplete.text, /action="\/admin\/communications\/drafts\/[a-z0-9]+\/publish"/);
    // Publishing it all the same (a second tab): the draft's form with the messages, nothing published.
    const refused = await admin
      .post(`/admin/communications/drafts/${id}/publish`)
      .type('form')
      .send({ _csrf: csrfOf(incomplete.text), revision: '1' });
    assert.equal(refused.status, 422);
    assert.match(refused.text, /<p class="field-error" id="contact-error">A data protection notice must say this/);
    assert.match(refused.text, new RegExp(`name="title"[^>]*value="${title}"`), 'the form shows the draft');
    assert.equal(count('communications'), 0);

    const saved = await saveDraft(admin, id, completeNotice(title), 'preview');
    assert.equal(saved.status, 303);
    assert.equal(saved.headers.location, `/admin/communications/drafts/${id}/preview`);
    const preview = await admin.get(`/admin/communications/drafts/${id}/preview`).expect(200);
    assert.doesNotMatch(preview.text, /Not ready to publish/);
    assert.match(preview.text, new RegExp(`<iframe [^>]*src="/admin/communications/drafts/${id}/preview/page" title="[^"]+"`));
    assert.match(preview.text, new RegExp(`<iframe [^>]*src="/admin/communications/drafts/${id}/preview/mail" title="[^"]+" sandbox="allow-same-origin`));
    assert.match(preview.text, /Each confirmed subscriber of the page, one message each: 1 now/);
    assert.match(preview.text, new RegExp(`<dd class="mail-subject">Data protection notice: ${title} · ACME Status</dd>`));
    const text = previewedText(preview.text);
    assert.match(text, new RegExp(HEADINGS.join('[\\s\\S]*')));

    const page = await admin.get(`/admin/communications/drafts/${id}/preview/page`).expect(200);
    assert.match(String(page.headers['content-security-policy']), /frame-ancestors 'self'/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    assert.equal(page.headers['x-frame-options'], 'SAMEORIGIN');
    const mail = await admin.get(`/admin/communications/drafts/${id}/preview/mail`).expect(200);
    assert.match(String(mail.headers['content-security-policy']), /^default-src 'none'; style-src 'unsafe-inline';.*frame-ancestors 'self'/);
    for (const h of HEADINGS) assert.ok(mail.text.includes(`>${h}</h2>`), h);
    // Not public while a draft, even at the address it will have.
    await request(p.app).get(`/notices/${id}`).expect(404);

    const published = await publish(id);
    assert.equal(published.status, 303, published.text.slice(0, 400));
    assert.equal(published.headers.location, `/admin/communications/${id}`, 'the notice keeps the draft’s id: the preview’s links were its own');
    assert.equal(draftRow(id), undefined, 'the draft is gone');
    assert.equal(p.ctx.db.prepare('SELECT version FROM communications WHERE id = ?').pluck().get(id), 1);

    // The page: byte for byte what the preview showed (the same clock, the same code).
    const live = await request(p.app).get(`/notices/${id}`).expect(200);
    assert.equal(live.text, unframed(page.text));
    for (const name of REQUIRED) assert.ok(live.text.includes(completeNotice(title)[name] ?? ''), `the page says ${name}`);
    const status = await request(p.app).get('/').expect(200);
    assert.match(status.text, new RegExp(`<a href="/notices/${id}">${title}</a>`));

    // The mail: the preview's parts, with the subscriber's own links where the preview had "preview".
    await smtp.until(() => smtp.to(READER).length === 1);
    const sub = findSubscriber(p.ctx.db, p.ctx.db.prepare('SELECT id FROM subscribers WHERE email = ?').pluck().get(READER) as string);
    assert.ok(sub);
    const link = manageToken(p.ctx.secret, sub);
    const own = (s: string) =>
      s.replaceAll('/subscriptions/manage/preview', `/subscriptions/manage/${link}`).replaceAll('/unsubscribe/preview', `/unsubscribe/${link}`);
    const received = smtp.to(READER)[0];
    assert.ok(received);
    assert.equal(received.mail.subject, `Data protection notice: ${title} · ACME Status`);
    assert.equal(String(received.mail.html).replace(/\r\n/g, '\n'), own(unframed(mail.text)));
    assert.equal((received.mail.text ?? '').replace(/\r\n/g, '\n').trimEnd(), own(text).trimEnd());

    // Its pages now lead to the notice; publishing again publishes nothing more.
    await admin.get(`/admin/communications/drafts/${id}`).expect(303).expect('Location', `/admin/communications/${id}`);
    await admin.get(`/admin/communications/drafts/${id}/preview`).expect(303).expect('Location', `/admin/communications/${id}`);
    const token = csrfOf((await admin.get('/admin').expect(200)).text);
    const twice = await admin.post(`/admin/communications/drafts/${id}/publish`).type('form').send({ _csrf: token, revision: '2' });
    assert.equal(twice.status, 409);
    assert.match(twice.text, /This draft has been published/);
    await settleMail(p);
    assert.equal(count('communications'), 1);
    assert.equal(smtp.to(READER).length, 1);
  });

  it('publishes only the revision previewed: a save in between is refused, then the new revision is shown', async () => {
    const title = 'Security advisory about tokens';
    const id = await newDraft({ category: 'security_advisory', title, body: 'Rotate your API tokens.', incident_id: '' });
    const preview = await admin.get(`/admin/communications/drafts/${id}/preview`).expect(200);
    assert.equal((await saveDraft(other, id, { category: 'security_advisory', title, body: 'Rotate your API tokens now.', incident_id: '' })).status, 303);
    const [communications, deliveries] = [count('communications'), count('deliveries')];
    const res = await admin
      .post(`/admin/communications/drafts/${id}/publish`)
      .type('form')
      .send({ _csrf: csrfOf(preview.text), revision: hiddenField(preview.text, 'revision'), _once: hiddenField(preview.text, '_once') });
    assert.equal(res.status, 409);
    assert.match(res.text, /second saved this draft after you previewed it, so nothing was published/);
    assert.ok(res.text.includes('Rotate your API tokens now.'), 'the preview shown again is of the draft as it is now');
    assert.equal(hiddenField(res.text, 'revision'), '2');
    assert.equal(count('communications'), communications);
    assert.equal(count('deliveries'), deliveries);
    assert.equal((await publish(id)).status, 303);
    assert.equal(p.ctx.db.prepare('SELECT body FROM communications WHERE id = ?').pluck().get(id), 'Rotate your API tokens now.');
  });

  it('drafts a correction: its preview is version 2 linking to version 1; published, both pages stay', async () => {
    const title = 'Customer data exposed';
    const v1 = p.ctx.db.prepare('SELECT id FROM communications WHERE title = ?').pluck().get(title) as string;
    const res = await submit(admin, `/admin/communications/${v1}/correct`, `/admin/communications/${v1}/correct`, {
      ...completeNotice(title),
      data_involved: 'Names, email and postal addresses',
      action: 'preview',
    });
    assert.equal(res.status, 303);
    const id = draftIdOf(res.headers.location);
    assert.equal(draftRow(id)?.replaces_id, v1);
    const page = await admin.get(`/admin/communications/drafts/${id}/preview/page`).expect(200);
    assert.match(page.text, /Data protection notice · version 2 · published/);
    assert.match(page.text, new RegExp(`<a href="/notices/${v1}">Version 1</a>`));
    assert.doesNotMatch((await request(p.app).get(`/notices/${v1}`).expect(200)).text, /was corrected/, 'not while a draft');
    const preview = await admin.get(`/admin/communications/drafts/${id}/preview`).expect(200);
    assert.match(preview.text, /<dd class="mail-subject">\[Correction\] Data protection notice/);
    assert.equal((await publish(id)).status, 303);
    assert.deepEqual(p.ctx.db.prepare('SELECT version, series_id, replaces_id FROM communications WHERE id = ?').get(id), {
      version: 2,
      series_id: v1,
      replaces_id: v1,
    });
    assert.equal((await request(p.app).get(`/notices/${id}`).expect(200)).text, unframed(page.text));
    assert.match((await request(p.app).get(`/notices/${v1}`).expect(200)).text, /This notice was corrected/);
  });

  it('shows the 72-hour clock while drafting; drafting, previewing and publishing never stop it', async () => {
    const breach = createIncident(p.ctx, system, { name: 'Backup bucket exposed' }).id;
    const quiet = createIncident(p.ctx, system, { name: 'Slow dashboard' }).id;
    flagPersonalData(p.ctx, system, breach, { personal_data_at_risk: true, aware_at: new Date(p.clock.now().getTime() - 30 * HOUR).toISOString() });

    const form = await admin.get(`/admin/communications/new?incident=${breach}`).expect(200);
    assert.match(form.text, /<h2 id="notice-clock-title">Data-protection clock \(GDPR Art\. 33\)<\/h2>/);
    assert.match(
      form.text,
      new RegExp(
        `href="/admin/incidents/${breach}#data-protection">Backup bucket exposed</a> <span class="muted">\\(the related incident\\)</span>: notify the supervisory authority by <time[^>]*>[^<]+</time> — 1 d 18 h left`,
      ),
    );
    assert.match(form.text, /does not stop the clock/);

    const id = await newDraft({ ...completeNotice('About the exposed backup'), incident_id: breach });
    for (const path of [`/admin/communications/drafts/${id}`, `/admin/communications/drafts/${id}/preview`, '/admin/communications']) {
      assert.match(
        (await admin.get(path).expect(200)).text,
        /Backup bucket exposed<\/a>[^<]*(<span class="muted">\(the related incident\)<\/span>)?: notify the supervisory authority/,
        path,
      );
    }
    await advanceActive(p, [admin, other], HOUR);
    assert.match((await admin.get(`/admin/communications/drafts/${id}`).expect(200)).text, /— 1 d 17 h left/, 'it counts down');
    assert.equal((await publish(id)).status, 303);
    assert.deepEqual(
      openClocks(p.ctx, p.clock.now()).map((c) => c.incident.id),
      [breach],
      'publishing the notice to the people affected does not record the notification to the authority',
    );

    // A data-protection notice about an incident nobody flagged: the form says no clock runs.
    const unflagged = await admin.get(`/admin/communications/new?incident=${quiet}`).expect(200);
    assert.match(unflagged.text, /Slow dashboard<\/a>, is not flagged as affecting personal data, so no 72-hour clock runs for it/);
  });

  it('keeps hostile text inert in the draft, its preview and its frames', async () => {
    const hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>';
    const id = await newDraft({ category: 'general', title: `Hi ${hostile}`, body: `Body ${hostile}`, incident_id: '' });
    for (const path of ['', '/preview', '/preview/page', '/preview/mail']) {
      const res = await admin.get(`/admin/communications/drafts/${id}${path}`).expect(200);
      assert.doesNotMatch(res.text, /<script>alert|<img src=x/, path || 'the form');
    }
    assert.doesNotMatch((await admin.get('/admin/communications').expect(200)).text, /<script>alert|<img src=x/);
  });

  it('deletes a draft after asking, and the draft is gone', async () => {
    const id = await newDraft({ category: 'general', title: 'Never mind', body: 'x', incident_id: '' });
    const confirm = await admin.get(`/admin/communications/drafts/${id}/delete`).expect(200);
    assert.match(confirm.text, /Delete this draft\? This cannot be undone/);
    await admin
      .post(`/admin/communications/drafts/${id}/delete`)
      .type('form')
      .send({ _csrf: csrfOf(confirm.text) })
      .expect(303)
      .expect('Location', '/admin/communications');
    assert.equal(draftRow(id), undefined);
    assert.equal(p.ctx.db.prepare("SELECT subject FROM audit_log WHERE action = 'communication.draft_deleted'").pluck().get(), id);
    await admin.get(`/admin/communications/drafts/${id}`).expect(404);
  });
});
