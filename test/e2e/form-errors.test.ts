import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ensureFirstAdmin } from '../../server/domain/access/first-admin.js';
import { addUser, startPharos, systemClockPharos, type TestPharos } from '../helpers/pharos.js';
import { launch, screenshot, seriousViolations, signInAs } from './browser.js';

/**
 * Refused admin forms and long text as an operator meets them, on a phone (360 px) and a desktop
 * (1280 px): the section holding the first problem opens and that field has the focus, in view; the
 * summary's links move the focus to each field; a long paste is kept whole, with a live count near
 * the limit and a refusal saying the limit and the length; setup tells every password problem at once.
 */

const WIDTHS = [360, 1280] as const;

describe('refused admin forms and long text in chromium', () => {
  let p: TestPharos;
  let browser: Browser;
  let setupPath = '';

  before(async () => {
    p = await startPharos({ listen: true, ...systemClockPharos() });
    const link = new URL((await ensureFirstAdmin(p.ctx)) ?? '');
    setupPath = link.pathname + link.search;
    browser = await launch();
  });
  after(async () => {
    await browser.close();
    await p.close();
  });

  // axe's script is inline, which the CSP forbids: bypassed for the audit only. Each test's browser context is closed after it.
  let context: BrowserContext | undefined;
  const pageAt = async (width: number): Promise<Page> => {
    context = await browser.newContext({ viewport: { width, height: 800 }, bypassCSP: true });
    return context.newPage();
  };
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });
  const focused = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '');
  /** Whether the element's box is within the window (the focused field is seen, not only focused). */
  const inView = (page: Page, selector: string) =>
    page.locator(selector).evaluate((el) => {
      const r = el.getBoundingClientRect();
      // Within a pixel: scrolled to the top of the window, a box may start a fraction above it.
      return r.top >= -1 && r.bottom <= window.innerHeight + 1;
    });
  async function clean(page: Page, width: number, where: string) {
    assert.deepEqual(await seriousViolations(page), [], `${where}: axe`);
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= width, `${where}: no sideways scrolling`);
  }
  const summaryLinks = (page: Page) => page.locator('#error-summary a').allTextContents();

  describe('before there is an admin', () => {
    for (const width of WIDTHS) {
      it(`setup at ${width} px: a short password that does not match is told both, the first focused`, async () => {
        const page = await pageAt(width);
        await page.goto(`${p.url}${setupPath}`);
        await page.getByLabel('Email').fill('ops@example.com');
        await page
          .getByLabel(/^Password/)
          .first()
          .fill('short');
        await page.getByLabel('Password again').fill('shorter');
        await page.getByRole('button', { name: 'Create admin account' }).click();
        await page.locator('#error-summary').waitFor();
        assert.equal(await page.locator('#password-error').textContent(), 'Use at least 12 characters');
        assert.equal(await page.locator('#password_confirm-error').textContent(), 'The passwords do not match');
        assert.deepEqual(await summaryLinks(page), ['Password: Use at least 12 characters', 'Password again: The passwords do not match']);
        assert.equal(await focused(page), 'password');
        assert.equal(await page.getByLabel('Email').inputValue(), 'ops@example.com');
        await screenshot(page, `setup-password-problems-${width}`);
        await clean(page, width, 'setup');
      });
    }
  });

  describe('an operator', () => {
    before(async () => {
      await addUser(p, 'admin@example.com', 'admin');
    });

    for (const width of WIDTHS) {
      it(`at ${width} px: a start in the future opens "Started earlier?" and focuses the start`, async () => {
        const page = await pageAt(width);
        await signInAs(page, p.url, 'admin@example.com');
        await page.goto(`${p.url}/admin/incidents/new`);
        await page.getByLabel('Name', { exact: true }).fill('Elevated errors');
        await page.getByText('Started earlier?').click();
        await page.getByLabel(/^Started at/).fill('2099-01-01T10:00');
        await page.getByRole('button', { name: 'Create incident' }).click();
        await page.locator('#error-summary').waitFor();
        assert.equal(await page.locator('details:has(#started_at)').evaluate((d) => (d as HTMLDetailsElement).open), true);
        assert.equal(await focused(page), 'started_at');
        assert.ok(await inView(page, '#started_at'), 'the start is in view');
        assert.deepEqual(await summaryLinks(page), ['Started at: The start cannot be in the future']);
        assert.equal(await page.getByLabel(/^Started at/).inputValue(), '2099-01-01T10:00');
        await screenshot(page, `incident-start-refused-${width}`);
        await clean(page, width, 'new incident refused');
      });

      it(`at ${width} px: the summary lists every problem; each link moves the focus to its field`, async () => {
        const page = await pageAt(width);
        await signInAs(page, p.url, 'admin@example.com');
        await page.goto(`${p.url}/admin/templates/new`);
        await page.getByLabel(/^Name/).fill('   ');
        await page.getByLabel(/^Incident title/).fill('t'.repeat(201));
        await page.getByLabel(/^Message/).fill('b'.repeat(20_001));
        await page.getByRole('button', { name: 'Save' }).click();
        await page.locator('#error-summary').waitFor();
        assert.deepEqual(await summaryLinks(page), [
          'Name: Enter a name',
          'Incident title: Use at most 200 characters (you typed 201)',
          'Message: Use at most 20,000 characters (you typed 20,001)',
        ]);
        assert.equal(await focused(page), 'name');
        await page
          .locator('#error-summary')
          .getByRole('link', { name: /^Message:/ })
          .click();
        assert.equal(await focused(page), 'body');
        assert.ok(await inView(page, 'label[for="body"]'), "the message's label is in view");
        await page
          .locator('#error-summary')
          .getByRole('link', { name: /^Incident title:/ })
          .click();
        assert.equal(await focused(page), 'title');
        // Shown again over its limit, each text says so at once.
        assert.equal(await page.locator('#title + .char-count').textContent(), '1 too many: 201 of 200 characters');
        await clean(page, width, 'template refused');
      });

      it(`at ${width} px: a long paste is kept whole, counted near the limit, and refused with the limit and its length`, async () => {
        const page = await pageAt(width);
        await signInAs(page, p.url, 'admin@example.com');
        await page.goto(`${p.url}/admin/incidents/new`);
        const body = page.getByLabel(/^Message/);
        const count = page.locator('#body + .char-count');
        await body.fill('a'.repeat(17_000));
        assert.equal(await count.isVisible(), false, 'no count far from the limit');
        await body.fill('a'.repeat(18_500));
        assert.equal(await count.textContent(), '18,500 of 20,000 characters');
        await body.fill('a'.repeat(25_000));
        assert.equal((await body.inputValue()).length, 25_000, 'nothing cut');
        assert.equal(await count.textContent(), '5,000 too many: 25,000 of 20,000 characters');
        assert.match((await count.getAttribute('class')) ?? '', /char-count--over/);
        // A screen reader hears it once typing pauses.
        await page.waitForFunction(() => document.querySelector('#body + .char-count + [aria-live]')?.textContent?.includes('too many'), undefined, {
          timeout: 3000,
        });
        await page.getByLabel('Name', { exact: true }).fill('n'.repeat(300));
        assert.equal((await page.getByLabel('Name', { exact: true }).inputValue()).length, 300, 'a long name is not cut either');
        await screenshot(page, `incident-long-text-typing-${width}`);
        const incidents = () => p.ctx.db.prepare('SELECT COUNT(*) FROM incidents').pluck().get() as number;
        const before = incidents();
        await page.getByRole('button', { name: 'Create incident' }).click();
        await page.locator('#error-summary').waitFor();
        assert.equal(await page.locator('#name-error').textContent(), 'Use at most 200 characters (you typed 300)');
        assert.equal(await page.locator('#body-error').textContent(), 'Use at most 20,000 characters (you typed 25,000)');
        assert.equal((await page.getByLabel(/^Message/).inputValue()).length, 25_000, 'what was typed comes back whole');
        assert.equal((await page.getByLabel('Name', { exact: true }).inputValue()).length, 300);
        assert.equal(await focused(page), 'name');
        assert.equal(await page.locator('#body + .char-count').textContent(), '5,000 too many: 25,000 of 20,000 characters');
        assert.equal(incidents(), before);
        await screenshot(page, `incident-long-text-refused-${width}`);
        await clean(page, width, 'long text refused');
      });
    }

    // Last: failed sign-ins count against this network.
    for (const width of WIDTHS) {
      it(`at ${width} px: a failed sign-in keeps the address and focuses the password`, async () => {
        const page = await pageAt(width);
        await page.goto(`${p.url}/admin/login`);
        await page.getByLabel('Email').fill('admin@example.com');
        await page.getByLabel('Password').fill('not the password');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.locator('#error-summary').waitFor();
        assert.equal((await page.locator('#error-summary').textContent())?.trim(), 'Email or password is incorrect.');
        assert.equal(await page.getByLabel('Email').inputValue(), 'admin@example.com');
        assert.equal(await focused(page), 'password');
        await clean(page, width, 'sign-in refused');
      });
    }
  });
});
