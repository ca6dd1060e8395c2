import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { addUser, startPharos, systemClockPharos, type TestPharos } from '../helpers/pharos.js';
import { launch, screenshot, seriousViolations, signInAs } from './browser.js';

const system = { type: 'system' } as const;

/**
 * An incident's admin page as an operator uses it during an attack: Post an update first, the Personal
 * data block under it with a real button and its time written as every other time on the page; and the
 * new-incident form's name field, whose example must not pass for a typed name.
 */
describe("an incident's admin page and the new-incident form (chromium)", () => {
  let p: TestPharos;
  let browser: Browser;
  let id = '';

  before(async () => {
    p = await startPharos({ listen: true, ...systemClockPharos() });
    await addUser(p, 'ops@example.com', 'operator');
    const api = createComponent(p.ctx, system, { name: 'API' });
    id = createIncident(p.ctx, system, { name: 'Elevated errors', body: 'Looking into it.', components: { [api.id]: 'partial_outage' } }).id;
    browser = await launch();
  });
  after(async () => {
    await browser.close();
    await p.close();
  });

  async function signedIn(width: number): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    await signInAs(page, p.url, 'ops@example.com');
    return page;
  }
  const top = (page: Page, selector: string) =>
    page
      .locator(selector)
      .first()
      .evaluate((el) => el.getBoundingClientRect().top + window.scrollY);

  for (const width of [360, 1280]) {
    it(`at ${width} px: Post an update, then Personal data with a real button and the page's own date format`, async () => {
      const page = await signedIn(width);
      await page.goto(`${p.url}/admin/incidents/${id}`);
      const post = await top(page, 'h2#post-update');
      const personal = await top(page, '#data-protection h2');
      const timeline = await top(page, 'h2:text("Timeline")');
      assert.ok(post < personal && personal < timeline, `Post an update (${post}) above Personal data (${personal}), above the timeline (${timeline})`);

      // The button: a <button> that looks like one, the size of its word, as tall as the form's other buttons.
      const save = page.locator('#data-protection').getByRole('button', { name: 'Save' });
      assert.equal(await save.evaluate((el) => el.tagName), 'BUTTON');
      const saveBox = await save.boundingBox();
      const formBox = await page.locator('#data-protection form').last().boundingBox();
      const postBox = await page.getByRole('button', { name: 'Post update' }).boundingBox();
      assert.ok(saveBox && formBox && postBox);
      assert.ok(saveBox.width < formBox.width / 2, `Save is ${saveBox.width} px wide in a ${formBox.width} px form: a button, not a bar`);
      assert.ok(Math.abs(saveBox.height - postBox.height) <= 2, `Save is ${saveBox.height} px high, Post update ${postBox.height} px`);

      // Its time as every other time on the page ("7 Dec 2026, 09:00 UTC"), never the browser's 12/07/2026, 09:00 AM.
      const started = (await page.locator('main > p time').first().textContent()) ?? '';
      const aware = (await page.locator('#data-protection .dp__aware time').textContent()) ?? '';
      assert.match(aware, /^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC/);
      assert.equal(aware, started, 'the incident started when we became aware, by default');
      assert.equal(await page.locator('#aware_at').isVisible(), false, 'the field only to change it');
      await page.getByText('Another time').click();
      assert.ok(await page.locator('#aware_at').isVisible());
      assert.deepEqual(await seriousViolations(page), []);
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), width);
      await screenshot(page, `admin-incident-${width}`);

      // Flagged with the time typed, then shown as recorded.
      await page.getByLabel('Personal data may be affected').check();
      await page.locator('#aware_at').fill('2026-11-30T08:15');
      await save.click();
      await page.waitForURL(`${p.url}/admin/incidents/${id}#data-protection`);
      assert.equal(await page.locator('#data-protection .dp__aware time').getAttribute('datetime'), '2026-11-30T08:15:00.000Z');
      assert.match((await page.locator('#data-protection .dp__aware').textContent()) ?? '', /as recorded/);
      // Back to unflagged for the other width.
      await page.getByLabel('Personal data may be affected').uncheck();
      await page.locator('#data-protection').getByRole('button', { name: 'Save' }).click();
      await page.waitForURL(`${p.url}/admin/incidents/${id}#data-protection`);
      await page.context().close();
    });

    it(`at ${width} px: the name field's example reads as an example, not as a typed name`, async () => {
      const page = await signedIn(width);
      await page.goto(`${p.url}/admin/incidents/new`);
      const name = page.getByLabel('Name', { exact: true });
      assert.match((await name.getAttribute('placeholder')) ?? '', /^e\.g\. /);
      const style = await name.evaluate((el) => {
        const placeholder = getComputedStyle(el, '::placeholder');
        const typed = getComputedStyle(el);
        return { placeholder: { color: placeholder.color, italic: placeholder.fontStyle }, typed: { color: typed.color, italic: typed.fontStyle } };
      });
      assert.equal(style.placeholder.italic, 'italic');
      assert.equal(style.typed.italic, 'normal');
      assert.notEqual(style.placeholder.color, style.typed.color);
      assert.deepEqual(await seriousViolations(page), []);
      await page.context().close();
    });
  }
});
