import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createComponent } from '../../../server/domain/page/components.js';
import { createIncident, patchIncident } from '../../../server/domain/incidents/writes.js';
import { cancelMaintenance, scheduleMaintenance } from '../../../server/domain/incidents/maintenance.js';
import { publishCommunication } from '../../../server/domain/subscribers/communications.js';
import { importCsv } from '../../../server/domain/subscribers/import-export.js';
import { maintenanceJob } from '../../../server/jobs/maintenance.js';
import { runJob } from '../../../server/jobs/schedule.js';
import { startPharos, settleMail, type TestPharos } from '../../helpers/pharos.js';
import { TestSmtp, type Received } from '../../helpers/smtp.js';

const system = { type: 'system' } as const;
const READER = 'reader@example.com';

/** What the operator typed for the first update: emphasis, a link, lists, a heading, code, an entity. */
const FIRST_UPDATE = [
  'We are under a **large-scale DDoS attack** and _mitigating_ it; see [the dashboard](https://grafana.acme.test/d/ddos).',
  '',
  '## Affected',
  '',
  '- Sign-in',
  '- The **API** (https://api.acme.test)',
  '',
  'Next steps:',
  '',
  '1. Filter at the edge',
  '2. Scale out',
  '',
  'Check with `curl -sI https://api.acme.test` &amp; tell us.',
].join('\n');

/** The first line of the text part. */
const firstLine = (r: Received) => (r.mail.text ?? '').split('\n')[0] ?? '';

/** The first line of text a mail client finds in the HTML part's body: what its inbox preview shows. */
function firstHtmlLine(r: Received): string {
  const body = String(r.mail.html || '').replace(/^[\s\S]*?<body[^>]*>/, '');
  const text = body
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<[^>]+>/g, '\n')
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find(Boolean) ?? ''
  );
}

describe('mail about an incident or a window: one subject, the state first, the Markdown as readable text', () => {
  let smtp: TestSmtp;
  let p: TestPharos;
  let api: string;

  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
    p = await startPharos({ env: { SMTP_URL: smtp.url, PUBLIC_URL: 'https://status.acme.test', PAGE_NAME: 'ACME Status' } });
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    assert.equal(importCsv(p.ctx, system, `email\n${READER}\n`, true).added, 1);
    await settleMail(p);
    assert.equal(smtp.received.length, 0, 'imported as confirmed: no confirmation mail');
  });
  after(async () => {
    await p.close();
    await smtp.stop();
  });

  let updates: Received[] = [];

  it('every update of an incident has the same subject, in one thread, each body opening with its state', async () => {
    const incident = createIncident(p.ctx, system, {
      name: 'Large-scale malicious attacks',
      status: 'investigating',
      body: FIRST_UPDATE,
      components: { [api]: 'major_outage' },
    });
    for (const [status, body] of [
      ['identified', 'Filtering is **being deployed**.'],
      ['monitoring', 'Traffic is back to normal levels.'],
      ['resolved', ''],
    ] as const) {
      p.clock.advance(60_000);
      patchIncident(p.ctx, system, incident.id, { status, body });
    }
    await smtp.until(() => smtp.to(READER).length === 4);
    await settleMail(p);
    updates = smtp.to(READER);
    assert.equal(updates.length, 4);

    assert.deepEqual(
      updates.map((r) => r.mail.subject),
      Array(4).fill('Large-scale malicious attacks · ACME Status'),
      'one subject, whatever the state',
    );
    const states = ['Investigating', 'Identified', 'Monitoring', 'Resolved'];
    updates.forEach((r, n) => {
      assert.match(firstLine(r), new RegExp(`^${states[n]} - \\d{1,2} \\w{3} 2026, \\d{2}:\\d{2} UTC$`), 'the text part opens with the state and its time');
      assert.match(firstHtmlLine(r), new RegExp(`^${states[n]}(: |$)`), 'so does the HTML part (the inbox preview)');
    });
    assert.equal(
      firstHtmlLine(updates[0] as Received),
      'Investigating: We are under a large-scale DDoS attack and mitigating it; see the dashboard (https://grafana.acme.test/d/ddos).',
    );
    assert.equal(firstHtmlLine(updates[1] as Received), 'Identified: Filtering is being deployed.');
    assert.match(
      (updates[3] as Received).mail.text ?? '',
      /^Resolved - .*\nResolved after 3 min\n\nLarge-scale malicious attacks\n/,
      'the duration under the state, then the name',
    );

    // Threading: distinct messages, one conversation.
    const thread = `<incident.${incident.id}@status.acme.test>`;
    assert.equal(new Set(updates.map((r) => r.mail.messageId)).size, 4);
    for (const r of updates) {
      assert.equal(r.mail.inReplyTo, thread);
      assert.ok([r.mail.references ?? []].flat().includes(thread), 'References names the thread');
    }
  });

  it("renders the operator's Markdown to readable text in the text part, earlier updates included", () => {
    const [first, second] = updates;
    assert.ok(first && second, 'needs the updates above');
    const text = first.mail.text ?? '';
    for (const expected of [
      '\nWe are under a large-scale DDoS attack and mitigating it; see the dashboard (https://grafana.acme.test/d/ddos).\n\nAffected\n\n- Sign-in\n- The API (https://api.acme.test)\n\nNext steps:\n\n1. Filter at the edge\n2. Scale out\n\nCheck with `curl -sI https://api.acme.test` & tell us.\n',
    ]) {
      assert.ok(text.includes(expected), `the text part reads as text:\n${text}`);
    }
    for (const m of updates) {
      const t = m.mail.text ?? '';
      assert.doesNotMatch(t, /\*\*|_mitigating_|\]\(|##|&amp;|<\/?[a-z]+[\s>]/, `no Markdown or HTML left:\n${t}`);
    }
    assert.match(second.mail.text ?? '', /^Identified - .*\n\nLarge-scale malicious attacks\n\nFiltering is being deployed\.\n/);
    assert.match(second.mail.text ?? '', /Earlier updates:\nInvestigating - .*\nWe are under a large-scale DDoS attack and mitigating it/);
    // The HTML part still renders the same Markdown as HTML.
    assert.match(String(first.mail.html), /<strong>large-scale DDoS attack<\/strong>/);
    assert.match(String(first.mail.html), /<li>Sign-in<\/li>/);
  });

  it('a maintenance window keeps one subject from scheduling to cancellation, its reminder included; each body opens with its state', async () => {
    const mark = smtp.received.length;
    const start = new Date(p.clock.now().getTime() + 2 * 3_600_000).toISOString();
    const end = new Date(p.clock.now().getTime() + 3 * 3_600_000).toISOString();
    const m = scheduleMaintenance(p.ctx, system, {
      name: 'Database upgrade',
      body: 'We upgrade **PostgreSQL** to [version 17](https://www.postgresql.org/docs/17/).',
      scheduled_for: start,
      scheduled_until: end,
      scheduled_remind_prior: 60,
      component_ids: [api],
    });
    await smtp.until(() => smtp.to(READER).length === 5);
    p.clock.advance(60 * 60_000 + 60_000);
    const run = await runJob(p.ctx, maintenanceJob);
    assert.equal(run?.result, 'ok');
    await smtp.until(() => smtp.to(READER).length === 6);
    p.clock.advance(60_000);
    cancelMaintenance(p.ctx, system, m.id);
    await smtp.until(() => smtp.to(READER).length === 7);
    await settleMail(p);
    const mails = smtp.received.slice(mark).filter((r) => r.to === READER);
    assert.equal(mails.length, 3);

    assert.deepEqual(
      mails.map((r) => r.mail.subject),
      Array(3).fill('[Maintenance] Database upgrade · ACME Status'),
    );
    assert.deepEqual(
      mails.map((r) => firstLine(r).replace(/ - .*$/, ' - …')),
      ['Scheduled - …', 'Reminder: scheduled maintenance', 'Cancelled - …'],
      'the state first: scheduled, the reminder, cancelled (not "Completed")',
    );
    assert.deepEqual(
      mails.map((r) => firstHtmlLine(r).replace(/ from .*$/, ' from …')),
      [
        'Scheduled: We upgrade PostgreSQL to version 17 (https://www.postgresql.org/docs/17/).',
        'Reminder: scheduled maintenance from …',
        'Cancelled: This maintenance has been cancelled.',
      ],
    );
    const thread = `<incident.${m.id}@status.acme.test>`;
    assert.deepEqual(
      mails.map((r) => r.mail.inReplyTo),
      Array(3).fill(thread),
    );
    for (const r of mails.slice(0, 2)) {
      assert.match(r.mail.text ?? '', /\nWe upgrade PostgreSQL to version 17 \(https:\/\/www\.postgresql\.org\/docs\/17\/\)\.\n/);
      assert.doesNotMatch(r.mail.text ?? '', /\*\*/);
    }
  });

  it("a data-protection notice's text part renders its Markdown too", async () => {
    const mark = smtp.received.length;
    publishCommunication(p.ctx, system, {
      category: 'data_protection',
      title: 'Customer data exposed',
      what_happened: 'An attacker copied **part** of the [customer database](https://acme.test/db).',
      data_involved: '- Names\n- Email addresses',
      consequences: 'Phishing emails that look like ours',
      measures: '1. We closed the hole\n2. We rotated every credential',
      what_to_do: '_Never_ give your password to anyone.',
      contact: 'Our data protection officer: dpo@acme.test',
    });
    await smtp.until(() => smtp.received.slice(mark).some((r) => r.to === READER));
    const notice = smtp.received.slice(mark).find((r) => r.to === READER);
    const text = notice?.mail.text ?? '';
    assert.match(text, /^Data protection notice\n/);
    for (const expected of [
      'What happened\nAn attacker copied part of the customer database (https://acme.test/db).\n',
      'What information was involved\n- Names\n- Email addresses\n',
      'What we are doing\n1. We closed the hole\n2. We rotated every credential\n',
      'What you can do\nNever give your password to anyone.\n',
      'For more information\nOur data protection officer: dpo@acme.test\n',
    ]) {
      assert.ok(text.includes(expected), `${JSON.stringify(expected)} in:\n${text}`);
    }
    assert.doesNotMatch(text, /\*\*|_Never_|\]\(/);
  });
});
