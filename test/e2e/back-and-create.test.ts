import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createComponent } from '../../server/domain/page/components.js';
import { addUser, startPharos, systemClockPharos, type TestPharos } from '../helpers/pharos.js';
import { launch, screenshot, seriousViolations, signInAs } from './browser.js';

const system = { type: 'system' } as const;
const WIDTHS = [360, 1280] as const;

/**
 * New incident → Create → the browser's Back (the form still filled in) → Create again: one incident,
 * and the page it is on says the second press did nothing. The same for a maintenance window. Then a
 * new incident named like the one just opened is asked about before it is posted. At 360 and 1280 px.
 */
describe('in a real browser: Back, then Create again', () => {
  let p: TestPharos;
  let browser: Browser;

  before(async () => {
    p = await startPharos({ listen: true, ...systemClockPharos() });
    await addUser(p, 'ops@example.com', 'operator');
    createComponent(p.ctx, system, { name: 'API' });
    browser = await launch();
  });
  after(async () => {
    await browser.close();
    await p.close();
  });

  const count = (name: string) => p.ctx.db.prepare('SELECT COUNT(*) FROM incidents WHERE name = ?').pluck().get(name) as number;
  // (bypassCSP: axe-core is injected as an inline script, which the admin's CSP refuses.)
  const operatorAt = async (width: number): Promise<Page> => {
    const page = await (await browser.newContext({ viewport: { width, height: 800 }, bypassCSP: true })).newPage();
    await signInAs(page, p.url, 'ops@example.com');
    return page;
  };
  const assertAxeClean = async (page: Page, where: string) => {
    const violations = await seriousViolations(page);
    assert.deepEqual(violations, [], `${where}: ${JSON.stringify(violations, null, 2)}`);
  };

  for (const width of WIDTHS) {
    it(`a new incident, Back, Create again: one incident, and its page says so (${width} px)`, async () => {
      const name = width === 360 ? 'Payments failing' : 'Search results empty';
      const page = await operatorAt(width);
      await page.goto(`${p.url}/admin/incidents/new`);
      await page.getByLabel('Name', { exact: true }).fill(name);
      await page.getByLabel(/^Message/).fill('We are looking into it.');
      await page.getByRole('button', { name: 'Create incident' }).click();
      await page.waitForURL(/\/admin\/incidents\/[a-z0-9]+$/);
      const first = page.url();

      await page.goBack();
      await page.waitForURL(/\/admin\/incidents\/new$/);
      assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), name, 'the browser kept what was typed');
      await page.getByRole('button', { name: 'Create incident' }).click();
      await page.waitForURL((url) => url.pathname !== '/admin/incidents/new');
      assert.equal(count(name), 1, 'one incident, not two');
      assert.equal(new URL(page.url()).pathname, new URL(first).pathname, 'the one already created');
      assert.equal(new URL(page.url()).search, '?resent=incident');
      await page.getByRole('status').filter({ hasText: 'This incident was already created' }).waitFor();
      await page.getByRole('heading', { level: 1, name }).waitFor();
      await assertAxeClean(page, `the incident page after Back and Create (${width})`);
      await screenshot(page, `admin-back-and-create-${width}`);
    });

    it(`a maintenance window, Back, Schedule again: one window (${width} px)`, async () => {
      const name = width === 360 ? 'Router swap' : 'Certificate rotation';
      const page = await operatorAt(width);
      await page.goto(`${p.url}/admin/maintenance/new`);
      await page.getByLabel('Name', { exact: true }).fill(name);
      await page.getByLabel(/^Starts/).fill('2031-12-24T02:00');
      await page.getByLabel(/^Ends/).fill('2031-12-24T03:00');
      await page.getByRole('button', { name: 'Schedule' }).click();
      await page.waitForURL(/\/admin\/incidents\/[a-z0-9]+$/);
      const first = new URL(page.url()).pathname;
      await page.goBack();
      await page.waitForURL(/\/admin\/maintenance\/new$/);
      await page.getByRole('button', { name: 'Schedule' }).click();
      await page.waitForURL((url) => url.pathname !== '/admin/maintenance/new');
      assert.equal(count(name), 1, 'one window, not two');
      assert.equal(new URL(page.url()).pathname, first, 'the one already scheduled');
      await page.getByRole('status').filter({ hasText: 'This maintenance was already scheduled' }).waitFor();
      // The list the navigation leads to shows it, once.
      await page.goto(`${p.url}/admin/maintenance`);
      assert.equal(await page.locator('#upcoming + table').getByRole('link', { name, exact: true }).count(), 1);
      await assertAxeClean(page, `the maintenance list (${width})`);
      await screenshot(page, `admin-maintenance-list-${width}`);
    });

    it(`a new incident named like one opened minutes ago is asked about, with everything typed kept (${width} px)`, async () => {
      const opened = width === 360 ? 'Payments failing' : 'Search results empty';
      const name = `${opened} in Europe`;
      const page = await operatorAt(width);
      await page.goto(`${p.url}/admin/incidents/new`);
      await page.getByLabel('Name', { exact: true }).fill(name);
      await page.getByLabel(/^Message/).fill('Only European cards.');
      await page.getByRole('button', { name: 'Create incident' }).click();
      const question = page.getByRole('alert').filter({ hasText: `An incident named “${opened}” was opened` });
      await question.waitFor();
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'similar', 'the question has the focus');
      assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), name);
      assert.equal(await page.getByLabel(/^Message/).inputValue(), 'Only European cards.');
      assert.equal(count(name), 0, 'nothing posted yet');
      await assertAxeClean(page, `the question (${width})`);
      await screenshot(page, `admin-similar-incident-${width}`);

      await question.getByRole('button', { name: 'Post this incident anyway' }).click();
      await page.waitForURL(/\/admin\/incidents\/[a-z0-9]+$/);
      await page.getByRole('heading', { level: 1, name }).waitFor();
      assert.equal(count(name), 1);
    });
  }

  it('"Open it" leads to the incident already opened, and nothing is posted', async () => {
    const page = await operatorAt(1280);
    await page.goto(`${p.url}/admin/incidents/new`);
    await page.getByLabel('Name', { exact: true }).fill('payments FAILING');
    await page.getByRole('button', { name: 'Create incident' }).click();
    await page.getByRole('link', { name: 'Open “Payments failing in Europe”' }).click();
    await page.getByRole('heading', { level: 1, name: 'Payments failing in Europe' }).waitFor();
    assert.equal(count('payments FAILING'), 0);
  });
});
