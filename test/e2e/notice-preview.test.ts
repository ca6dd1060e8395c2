import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { flagPersonalData } from '../../server/domain/incidents/data-protection.js';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { importCsv } from '../../server/domain/subscribers/import-export.js';
import { addUser, startPharos, systemClockPharos, type TestPharos } from '../helpers/pharos.js';
import { TestSmtp } from '../helpers/smtp.js';
import { completeNotice, HEADINGS } from '../helpers/notice-drafts.js';
import { launch, screenshot, seriousViolations, signInAs } from './browser.js';

const system = { type: 'system' } as const;
const LABELS: Record<string, RegExp> = {
  what_happened: /^What happened/,
  data_involved: /^What information was involved/,
  consequences: /^Likely consequences/,
  measures: /^What we are doing/,
  what_to_do: /^What you can do/,
  contact: /^For more information/,
};

/**
 * A data-protection notice drafted in the admin, previewed as its page and its email will show it (in
 * frames, with the text part and the 72-hour clock), and only then published: in chromium, on a phone
 * (360 px) and a desktop (1280 px), axe-clean, nothing wider than the screen.
 */
describe('in a real browser: drafting and previewing a data-protection notice', () => {
  let p: TestPharos;
  let smtp: TestSmtp;
  let browser: Browser;
  let breach: string;

  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
    p = await startPharos({ listen: true, env: { SMTP_URL: smtp.url, PAGE_NAME: 'ACME Status' }, ...systemClockPharos() });
    await addUser(p, 'admin@example.com', 'admin');
    importCsv(p.ctx, system, 'email\nreader@example.com\n', true);
    breach = createIncident(p.ctx, system, { name: 'Backup bucket exposed' }).id;
    flagPersonalData(p.ctx, system, breach, { personal_data_at_risk: true, aware_at: new Date(Date.now() - 20 * 3_600_000).toISOString() });
    browser = await launch();
  });
  after(async () => {
    await browser.close();
    await p.close();
    await smtp.stop();
  });

  /** axe in the page and in the documents of its frames (each audited on its own, as a reader meets it). */
  async function axeProblems(page: Page, where: string): Promise<string[]> {
    const problems = (await seriousViolations(page)).map((v) => `${where}: ${v.id} ${v.help} ${v.nodes.map((n) => n.html).join(' | ')}`);
    for (const src of await page.locator('iframe.preview-frame').evaluateAll((frames) => frames.map((f) => f.getAttribute('src') ?? ''))) {
      const frame = await page.context().newPage();
      await frame.setViewportSize(page.viewportSize() ?? { width: 1280, height: 800 });
      await frame.goto(`${p.url}${src}`);
      problems.push(...(await seriousViolations(frame)).map((v) => `${src}: ${v.id} ${v.help} ${v.nodes.map((n) => n.html).join(' | ')}`));
      await frame.close();
    }
    return problems;
  }

  for (const width of [360, 1280]) {
    it(`drafts, previews and publishes at ${width} px`, async () => {
      const title = `About the exposed backup (${width} px)`;
      // The CSP forbids inline scripts, axe's included: bypassed for the audit only.
      const context = await browser.newContext({ viewport: { width, height: 800 }, bypassCSP: true });
      const page = await context.newPage();
      await signInAs(page, p.url, 'admin@example.com');

      // From the incident: the form names it, and shows its clock while the notice is written.
      await page.goto(`${p.url}/admin/communications/new?incident=${breach}`);
      const clock = page.locator('section.notice-clock');
      await clock.getByRole('heading', { name: 'Data-protection clock (GDPR Art. 33)' }).waitFor();
      assert.match(await clock.innerText(), /Backup bucket exposed \(the related incident\): notify the supervisory authority by .+ — 2 d( \d+ h)? left/);
      const fields = completeNotice(title);
      await page.getByLabel('Title').fill(title);
      // Not finished yet: saved as a draft with one field left, then completed.
      for (const [name, label] of Object.entries(LABELS)) if (name !== 'contact') await page.getByLabel(label).fill(fields[name] ?? '');
      await page.getByRole('button', { name: 'Save draft' }).click();
      await page.getByText('Draft saved. It is not public').waitFor();
      assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM communications WHERE title = ?').pluck().get(title), 0);
      await page.getByLabel(LABELS.contact ?? /^For more information/).fill(fields.contact ?? '');
      await page.getByRole('button', { name: 'Save and preview' }).click();
      await page.waitForURL(/\/admin\/communications\/drafts\/[a-z0-9]+\/preview$/);

      // The page, as it will be published, in its frame; the email's HTML part in its own; the text part.
      const pageFrame = page.frameLocator('iframe[title="The notice\'s public page, as it will be published"]');
      await pageFrame.getByRole('heading', { level: 1, name: title }).waitFor();
      for (const h of HEADINGS) await pageFrame.getByRole('heading', { name: h }).waitFor();
      const mailFrame = page.frameLocator('iframe[title="The email\'s HTML part"]');
      for (const h of HEADINGS) await mailFrame.getByRole('heading', { name: h }).waitFor();
      assert.match(await page.locator('pre.mail-text').innerText(), new RegExp(`^Data protection notice\\s+${title.replace(/[()]/g, '\\$&')}`));
      await page.locator('section.notice-clock').getByText('Backup bucket exposed').waitFor();
      // The frames grow to what they show: the page scrolls, not the frame.
      const heights = await page.locator('iframe.preview-frame').evaluateAll((frames) =>
        frames.map((f) => {
          const frame = f as HTMLIFrameElement;
          return { frame: frame.getBoundingClientRect().height, doc: frame.contentDocument?.documentElement.scrollHeight ?? 0 };
        }),
      );
      for (const h of heights) assert.ok(h.doc > 0 && Math.abs(h.frame - h.doc) <= 2, `a frame fits its document: ${JSON.stringify(h)}`);
      assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= width, 'nothing wider than the screen');
      await screenshot(page, `notice-preview-${width}`);
      assert.deepEqual(await axeProblems(page, `preview at ${width} px`), []);

      // Published from the preview: public at once, mailed, and the draft gone.
      await page.getByRole('button', { name: 'Publish this notice and email it' }).click();
      await page.waitForURL(/\/admin\/communications\/[a-z0-9]+$/);
      const id = page.url().split('/').pop() ?? '';
      const viewer = await context.newPage();
      await viewer.goto(`${p.url}/notices/${id}`);
      await viewer.getByRole('heading', { level: 1, name: title }).waitFor();
      await smtp.until(() => smtp.to('reader@example.com').some((m) => (m.mail.subject ?? '').includes(title)));
      assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM communication_drafts').pluck().get(), 0);
      await context.close();
    });
  }
});
