import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createComponent } from '../../server/domain/page/components.js';
import { addUser, startPharos, systemClockPharos, type TestPharos } from '../helpers/pharos.js';
import { launch, screenshot, seriousViolations, signInAs } from './browser.js';

/**
 * The admin's header: on a phone the brand and a "Menu" disclosure (no script, the keyboard opens it),
 * so that the page starts near the top; on a 1280 px screen every link in one row, separators only
 * between groups.
 */
describe('the admin header on a phone and on a wide screen (chromium)', () => {
  let p: TestPharos;
  let browser: Browser;

  before(async () => {
    p = await startPharos({ listen: true, ...systemClockPharos() });
    await addUser(p, 'admin@example.com', 'admin');
    await addUser(p, 'ops@example.com', 'operator');
    createComponent(p.ctx, { type: 'system' }, { name: 'API' });
    browser = await launch();
  });
  after(async () => {
    await browser.close();
    await p.close();
  });

  async function signedIn(email: string, width: number, height: number, javaScript = true): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height }, bypassCSP: true, javaScriptEnabled: javaScript });
    // A step that cannot happen fails within the test's time, with its own message.
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    await signInAs(page, p.url, email);
    return page;
  }
  const headerHeight = (page: Page) => page.evaluate(() => document.querySelector('header')?.getBoundingClientRect().height ?? 0);
  const navLinks = (page: Page) => page.getByRole('navigation', { name: 'Admin' }).getByRole('link');

  for (const [width, height] of [
    [390, 844],
    [360, 740],
  ] as const) {
    it(`at ${width} px: a "Menu" button instead of 13 links, opened and closed by keyboard`, async () => {
      const page = await signedIn('admin@example.com', width, height);
      const header = await headerHeight(page);
      assert.ok(header <= 72, `the header takes ${header} px of ${height}`);
      const menu = page.locator('summary', { hasText: 'Menu' });
      assert.ok(await menu.isVisible(), 'the menu button is shown');
      assert.equal(await navLinks(page).first().isVisible(), false, 'the links wait behind it');
      assert.deepEqual(await seriousViolations(page), [], 'axe, menu closed');

      // The keyboard: Tab from the skip link and the brand reaches the menu; Enter opens it, then its links follow.
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Menu');
      await page.keyboard.press('Enter');
      assert.ok(await navLinks(page).first().isVisible(), 'open: the links show');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Dashboard');
      assert.deepEqual(await navLinks(page).allTextContents(), EVERY_LINK);
      for (const link of await navLinks(page).all()) assert.ok(await link.isVisible(), `${await link.textContent()} is shown in the open menu`);
      assert.ok(await page.getByRole('link', { name: 'Your account' }).isVisible());
      assert.ok(await page.getByRole('button', { name: /Sign out/ }).isVisible());
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), width, 'nothing wider than the screen');
      assert.deepEqual(await seriousViolations(page), [], 'axe, menu open');
      await screenshot(page, `admin-menu-open-${width}`);
      await menu.focus();
      await page.keyboard.press('Enter');
      assert.equal(await navLinks(page).first().isVisible(), false, 'closed again');
      await page.context().close();
    });
  }

  it('the menu needs no script', async () => {
    const page = await signedIn('admin@example.com', 390, 844, false);
    assert.equal(await navLinks(page).first().isVisible(), false);
    await page.locator('summary', { hasText: 'Menu' }).click();
    assert.ok(await page.getByRole('link', { name: 'Audit log' }).isVisible());
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL(`${p.url}/admin/audit`);
    await page.context().close();
  });

  it('at 1280 px: brand, links and account in one row, separators only between groups; Administration and Account drop down', async () => {
    for (const [email, groups] of [
      ['admin@example.com', 3],
      ['ops@example.com', 1],
    ] as const) {
      const page = await signedIn(email, 1280, 800);
      assert.equal(await page.locator('summary', { hasText: 'Menu' }).isVisible(), false, 'no menu button on a wide screen');
      const boxes = await page.evaluate(() =>
        [...document.querySelectorAll('header .brand, header nav a, header summary, .admin-account > a')]
          .filter((el) => el.checkVisibility())
          .map((el) => ({ text: el.textContent?.trim() ?? '', box: el.getBoundingClientRect() }))
          .filter(({ box }) => box.width > 0 && box.height > 0)
          .map(({ text, box }) => ({ text, middle: (box.top + box.bottom) / 2, right: box.right })),
      );
      const expected =
        groups === 3
          ? ['Acme Status admin', ...EVERY_LINK.slice(0, 7), 'Administration', 'Status page ↗', `Account: ${email}`]
          : ['Acme Status admin', 'Dashboard', 'Maintenance', 'Status page ↗', `Account: ${email}`];
      assert.deepEqual(
        boxes.map((b) => b.text),
        expected,
        'what the row shows',
      );
      for (const b of boxes) assert.ok(Math.abs(b.middle - (boxes[0]?.middle ?? 0)) < 6, `${b.text} is on the brand's row`);
      assert.ok(
        boxes.every((b) => b.right <= 1280 - 16),
        'nothing past the right edge',
      );
      const height = await headerHeight(page);
      assert.ok(height <= 64, `one row: the header is ${height} px high`);

      // A separator is a group's left border: never on the first group, one between each two, none after the last.
      const separators = await page.evaluate(() =>
        [...document.querySelectorAll('.admin-nav > *')].map((g) => {
          const style = getComputedStyle(g);
          return { left: parseFloat(style.borderLeftWidth), right: parseFloat(style.borderRightWidth) };
        }),
      );
      assert.equal(separators.length, groups);
      assert.deepEqual(
        separators.map((x) => x.left > 0),
        separators.map((_, i) => i > 0),
        'a separator between groups only',
      );
      assert.ok(
        separators.every((x) => x.right === 0),
        'none after the last',
      );
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 1280);
      assert.deepEqual(await seriousViolations(page), []);
      await screenshot(page, `admin-header-1280-${email.split('@')[0] ?? ''}`);

      // The drop-downs open by keyboard, over the page, and show the current page.
      if (groups === 3) {
        await page.locator('summary', { hasText: 'Administration' }).focus();
        await page.keyboard.press('Enter');
        for (const name of EVERY_LINK.slice(7)) assert.ok(await navLinks(page).getByText(name, { exact: true }).isVisible(), `${name} in the drop-down`);
        assert.equal(await headerHeight(page), height, 'the drop-down does not push the page down');
        assert.deepEqual(await seriousViolations(page), [], 'axe, Administration open');
        // With the page's script, Escape closes it as a menu closes, focus back on its button.
        await page.keyboard.press('Escape');
        assert.equal(await navLinks(page).getByText('Settings', { exact: true }).isVisible(), false, 'Escape closes it');
        assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Administration');
        await page.keyboard.press('Enter');
        await page.keyboard.press('Tab');
        assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Settings');
        await page.keyboard.press('Enter');
        await page.waitForURL(`${p.url}/admin/settings`);
        const current = await page.evaluate(() => {
          const summary = document.querySelector('.admin-drop > summary');
          return summary ? getComputedStyle(summary).backgroundColor : '';
        });
        assert.notEqual(current, 'rgba(0, 0, 0, 0)', 'Administration is filled while one of its pages is open');
      }
      await page.locator('summary', { hasText: 'Account' }).click();
      assert.ok(await page.getByRole('link', { name: 'Your account' }).isVisible());
      assert.ok(await page.getByRole('button', { name: /Sign out/ }).isVisible());
      assert.deepEqual(await seriousViolations(page), [], 'axe, Account open');
      await screenshot(page, `admin-header-1280-account-${email.split('@')[0] ?? ''}`);
      await page.locator('h1').click();
      assert.equal(await page.getByRole('link', { name: 'Your account' }).isVisible(), false, 'a click elsewhere closes it');
      await page.context().close();
    }
  });
});

const EVERY_LINK = [
  'Dashboard',
  'Maintenance',
  'Templates',
  'Communications',
  'Chat',
  'Components',
  'Subscribers',
  'Settings',
  'Users',
  'API keys',
  'Mail',
  'Audit log',
  'System',
];
