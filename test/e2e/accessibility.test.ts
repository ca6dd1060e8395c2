import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { createApiKey } from '../../server/domain/access/api-keys.js';
import { confirmToken } from '../../server/domain/subscribers/tokens.js';
import { subscribe } from '../../server/domain/subscribers/subscribers.js';
import { publishCommunication } from '../../server/domain/subscribers/communications.js';
import { createNoticeDraft } from '../../server/domain/subscribers/notice-drafts.js';
import { createGroup } from '../../server/domain/page/groups.js';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident, patchIncident } from '../../server/domain/incidents/writes.js';
import { scheduleMaintenance } from '../../server/domain/incidents/maintenance.js';
import { createChatChannel, createWebhook } from '../../server/domain/subscribers/endpoints.js';
import { publishPostmortem, saveDraft } from '../../server/domain/incidents/postmortem.js';
import { saveDraft as saveAlertDraft } from '../../server/domain/incidents/alert-drafts.js';
import { createTemplate } from '../../server/domain/incidents/templates.js';
import { addUser, PASSWORD, startPharos, systemClockPharos, type TestPharos } from '../helpers/pharos.js';
import { launch, screenshot, seriousViolations, signInAs } from './browser.js';

const system = { type: 'system' } as const;
const addApiKeyId = (p: TestPharos) => createApiKey(p.ctx, { type: 'system' }, { name: 'Alertmanager' }).apiKey.id;

/** axe-core on every public and admin page: no serious or critical violation, light and dark. */
describe('accessibility (axe-core in chromium)', () => {
  let p: TestPharos;
  let browser: Browser;
  const ids: Record<string, string> = {};

  before(async () => {
    p = await startPharos({ listen: true, ...systemClockPharos() });
    await addUser(p, 'admin@example.com', 'admin');
    const group = createGroup(p.ctx, system, { name: 'Messaging' });
    const api = createComponent(p.ctx, system, { name: 'API', description: 'REST endpoints' });
    createComponent(p.ctx, system, { name: 'Email delivery', group_id: group.id });
    const incident = createIncident(p.ctx, system, { name: 'Elevated errors', body: 'Looking into it.', components: { [api.id]: 'partial_outage' } });
    patchIncident(p.ctx, system, incident.id, { status: 'identified', body: 'Found it.' });
    ids.incident = incident.id;
    // A resolved incident with a published postmortem (its editor on the admin page), and an alert held for approval (the dashboard's list).
    const past = createIncident(p.ctx, system, { name: 'Certificate expired', status: 'resolved', components: {} });
    saveDraft(p.ctx, system, past.id, { body_draft: '## What happened\n\nA certificate expired.' });
    publishPostmortem(p.ctx, system, past.id, { notify_subscribers: false });
    ids.past = past.id;
    saveAlertDraft(p.ctx, system, { source: 'alertmanager', group_key: 'g', name: 'Disk full', body: 'Held.', components: {}, notify: true, signature: 's' });
    ids.component = api.id;
    ids.apiKey = addApiKeyId(p);
    subscribe(p.ctx, { email: 'pending@example.com' });
    const pending = p.ctx.db.prepare("SELECT id, confirm_nonce FROM subscribers WHERE email = 'pending@example.com'").get() as {
      id: string;
      confirm_nonce: string;
    };
    ids.confirm = confirmToken(p.ctx.secret, pending.id, pending.confirm_nonce);
    ids.maintenance = scheduleMaintenance(p.ctx, system, {
      name: 'Database upgrade',
      scheduled_for: new Date(Date.now() + 86_400_000).toISOString(),
      scheduled_until: new Date(Date.now() + 90_000_000).toISOString(),
      component_ids: [api.id],
    }).id;
    ids.notice = publishCommunication(p.ctx, system, {
      category: 'data_protection',
      title: 'About your data',
      what_happened: 'A thing happened.',
      data_involved: 'Email addresses.',
      consequences: 'Phishing.',
      measures: 'We fixed it.',
      what_to_do: 'Be careful.',
      contact: 'dpo@example.com',
    }).id;
    // A webhook (a long address, to show it wraps) and a chat channel, for their admin pages.
    await createWebhook(
      p.ctx,
      system,
      { endpoint: `http://127.0.0.1:9/${'hooks/'.repeat(20)}pharos`, email: 'ops@example.com', component_ids: [api.id] },
      'admin',
    );
    await createChatChannel(p.ctx, system, { kind: 'teams', name: '#incident-room', url: 'http://127.0.0.1:9/teams', topics: ['incidents', 'notices'] });
    // A notice's draft: its form, its preview (with the page and the mail in frames) and its deletion.
    ids.noticeDraft = createNoticeDraft(p.ctx, system, {
      category: 'data_protection',
      title: 'About your data (draft)',
      what_happened: 'A thing happened.',
    }).id;
    // A template in a group, listing components (the built-in ones are seeded by the migration).
    ids.template = createTemplate(p.ctx, system, {
      name: 'Mail delayed',
      title: 'Email delivery is delayed',
      body: 'Messages are queued; none is lost.',
      group_id: group.id,
      component_ids: [api.id],
    }).id;
    browser = await launch();
  });
  after(async () => {
    await browser.close();
    await p.close();
  });

  const publicPages = () => [
    '/nope',
    '/',
    `/incidents/${ids.incident}`,
    `/incidents/${ids.maintenance}`,
    `/incidents/${ids.past}`,
    '/history',
    '/subscribe',
    '/webhooks',
    `/incidents/${ids.incident}`,
    '/notices',
    `/notices/${ids.notice}`,
    '/admin/login',
    `/subscriptions/confirm/${ids.confirm}`,
    '/subscriptions/manage/nosuchsubscriber.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  ];
  const adminPages = () => [
    '/admin',
    '/admin/incidents/new',
    `/admin/incidents/${ids.incident}`,
    `/admin/incidents/${ids.incident}/edit`,
    `/admin/incidents/${ids.past}`,
    '/admin/maintenance/new',
    `/admin/incidents/${ids.maintenance}`,
    '/admin/incidents',
    '/admin/maintenance',
    '/admin/logout',
    '/admin/confirm',
    '/admin/components',
    '/admin/components/new',
    '/admin/users',
    '/admin/api-keys',
    '/admin/settings',
    '/admin/subscribers',
    '/admin/subscribers/import',
    '/admin/subscribers/export',
    '/admin/subscribers/webhooks',
    '/admin/chat',
    '/admin/audit',
    '/admin/account',
    '/admin/communications',
    '/admin/communications/new',
    `/admin/communications/${ids.notice}`,
    '/admin/mail',
    '/admin/deliveries',
    '/admin/system',
    `/admin/incidents/${ids.incident}/delete`,
    `/admin/api-keys/${ids.apiKey}/revoke`,
    `/admin/maintenance/${ids.maintenance}/reschedule`,
    `/admin/maintenance/${ids.maintenance}/cancel`,
    `/admin/communications/${ids.notice}/correct`,
    `/admin/communications/drafts/${ids.noticeDraft}`,
    `/admin/communications/drafts/${ids.noticeDraft}/preview`,
    `/admin/communications/drafts/${ids.noticeDraft}/preview/page`,
    `/admin/communications/drafts/${ids.noticeDraft}/preview/mail`,
    `/admin/communications/drafts/${ids.noticeDraft}/delete`,
    `/admin/components/${ids.component}/edit`,
    '/admin/groups/new',
    '/admin/templates',
    '/admin/templates/new',
    `/admin/templates/${ids.template}/edit`,
    `/admin/incidents/new?template=${ids.template}`,
    '/admin/nope',
  ];

  async function audit(context: BrowserContext, paths: string[]): Promise<string[]> {
    const problems: string[] = [];
    const page = await context.newPage();
    for (const path of paths) {
      await page.goto(`${p.url}${path}`);
      for (const v of await seriousViolations(page)) {
        problems.push(
          `${path}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes
            .map((n) => n.html)
            .join(' | ')
            .slice(0, 300)}`,
        );
      }
    }
    return problems;
  }

  for (const scheme of ['light', 'dark'] as const) {
    it(`public pages (${scheme})`, async () => {
      // The CSP forbids inline scripts, axe's included: bypassed for the audit only.
      const context = await browser.newContext({ bypassCSP: true, colorScheme: scheme });
      const problems = await audit(context, publicPages());
      assert.deepEqual(problems, []);
    });

    it(`admin pages (${scheme})`, async () => {
      const context = await browser.newContext({ bypassCSP: true, colorScheme: scheme });
      const first = await context.newPage();
      await signInAs(first, p.url, 'admin@example.com');
      // Lists of addresses ask for the password first: that page too, then the lists themselves.
      await first.goto(`${p.url}/admin/subscribers`);
      const asked = (await seriousViolations(first)).map((v) => `/admin/subscribers (asking for the password): ${v.id} ${v.help}`);
      await first.getByLabel('Your password, to confirm').fill(PASSWORD);
      await first.getByRole('button', { name: 'Continue' }).click();
      await first.waitForURL(`${p.url}/admin/subscribers`);
      const problems = [...asked, ...(await audit(context, adminPages()))];
      assert.deepEqual(problems, []);
    });
  }

  it('every admin page fits a 360 px phone without sideways scrolling', async () => {
    // Long audit details and wide tables included: an audit row with a long unbroken value.
    p.ctx.db
      .prepare("INSERT INTO audit_log (at, actor, action, subject, detail, ip) VALUES (?, 'system', 'test.long', 'x', ?, '')")
      .run(new Date().toISOString(), JSON.stringify({ before: { name: 'a'.repeat(300) }, after: { url: `https://example.com/${'b'.repeat(300)}` } }));
    const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    await signInAs(page, p.url, 'admin@example.com');
    await page.goto(`${p.url}/admin/subscribers`);
    await page.getByLabel('Your password, to confirm').fill(PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${p.url}/admin/subscribers`);
    const wide: string[] = [];
    for (const path of adminPages()) {
      await page.goto(`${p.url}${path}`);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      if (width > 360) wide.push(`${path}: ${width} px`);
    }
    await page.goto(`${p.url}/admin/incidents/new`);
    await screenshot(page, 'admin-new-incident-360');
    assert.deepEqual(wide, []);
  });
});
