import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { createComponent } from '../../server/domain/page/components.js';
import { createGroup } from '../../server/domain/page/groups.js';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { addUser, startPharos, systemClockPharos, type TestPharos } from '../helpers/pharos.js';
import { launch, screenshot, signInAs } from './browser.js';

const system = { type: 'system' } as const;

/** WCAG's relative luminance of a CSS rgb() colour. */
function luminance(css: string): number {
  const [r = 0, g = 0, b = 0] = (css.match(/\d+/g) ?? []).slice(0, 3).map(Number);
  const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
}

/** A viewer watches the status page while an operator works in the real admin form, in a real browser. */
describe('in a real browser: live status page', () => {
  let p: TestPharos;
  let browser: Browser;
  let api: string;
  let web: string;

  before(async () => {
    p = await startPharos({ listen: true, ...systemClockPharos() });
    await addUser(p, 'ops@example.com', 'operator');
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    web = createComponent(p.ctx, system, { name: 'Web app' }).id;
    browser = await launch();
  });
  after(async () => {
    await browser.close();
    await p.close();
  });

  it('shows an incident posted through the admin form, then its update and resolution, without a reload', async () => {
    const viewer = await (await browser.newContext()).newPage();
    await viewer.goto(`${p.url}/`);
    await viewer.getByText('All Systems Operational').waitFor();
    await screenshot(viewer, 'status-all-clear-1280');
    for (const [name, options] of [
      ['status-all-clear-390', { viewport: { width: 390, height: 844 } }],
      ['status-all-clear-1280-dark', { colorScheme: 'dark' as const }],
      ['status-all-clear-390-dark', { viewport: { width: 390, height: 844 }, colorScheme: 'dark' as const }],
    ] as const) {
      const page = await (await browser.newContext(options)).newPage();
      await page.goto(`${p.url}/`);
      await page.getByText('All Systems Operational').waitFor();
      await screenshot(page, name);
    }
    const marker = await viewer.evaluate(() => {
      (window as unknown as { marker: number }).marker = 42;
      return 42;
    });

    const operator = await (await browser.newContext()).newPage();
    await signInAs(operator, p.url, 'ops@example.com');
    await operator.goto(`${p.url}/admin/incidents/new`);
    await operator.getByLabel('Name').fill('Large-scale malicious attacks on our services');
    await operator.getByLabel('Status', { exact: true }).selectOption('investigating');
    await operator.getByLabel('Impact').selectOption('critical');
    await operator.locator(`select[name="components.${api}"]`).selectOption('major_outage');
    await operator.locator(`select[name="components.${web}"]`).selectOption('degraded_performance');
    await operator.getByLabel(/^Message/).fill('We are seeing **very high traffic** from many sources.');
    await screenshot(operator, 'admin-incident-form');
    await operator.getByRole('button', { name: 'Create incident' }).click();
    await operator.waitForURL(/\/admin\/incidents\/[a-z0-9]+$/);

    const t0 = Date.now();
    await viewer.locator('#banner').getByText('Major Service Outage').waitFor({ timeout: 2000 });
    assert.ok(Date.now() - t0 < 2000);
    await viewer.locator('#incidents').getByText('Large-scale malicious attacks on our services').waitFor({ timeout: 2000 });
    await viewer.locator('#incidents strong', { hasText: 'very high traffic' }).waitFor({ timeout: 2000 });
    await viewer.locator('#components .status', { hasText: 'Degraded performance' }).waitFor({ timeout: 2000 });
    await screenshot(viewer, 'status-major-incident-1280');
    // The operator's cockpit during the incident (the README's picture), then back to the incident.
    const incidentUrl = operator.url();
    await operator.goto(`${p.url}/admin`);
    await operator.getByRole('link', { name: /Post the next update/ }).waitFor();
    await screenshot(operator, 'admin-cockpit-incident-1280');
    await operator.goto(incidentUrl);

    await operator.getByLabel('Status', { exact: true }).selectOption('identified');
    await operator.getByLabel(/^Message/).fill('Filtering is being deployed.');
    await operator.getByRole('button', { name: 'Post update' }).click();
    await viewer.locator('#incidents').getByText('Filtering is being deployed.').waitFor({ timeout: 2000 });

    await operator.getByLabel('Status', { exact: true }).selectOption('resolved');
    await operator.getByLabel(/^Message/).fill('Services are back to normal.');
    await operator.getByRole('button', { name: 'Post update' }).click();
    await viewer.locator('#banner').getByText('All Systems Operational').waitFor({ timeout: 2000 });
    await viewer.locator('#past').getByText('Large-scale malicious attacks on our services').waitFor({ timeout: 2000 });
    const incidentPage = await (await browser.newContext()).newPage();
    await incidentPage.goto(operator.url().replace('/admin/incidents/', '/incidents/'));
    await incidentPage.locator('.resolved-after').waitFor();
    await screenshot(incidentPage, 'incident-page');
    assert.equal(await viewer.evaluate(() => (window as unknown as { marker?: number }).marker), marker, 'the page was never reloaded');
  });

  it('shows the current state after the server restarts, without a manual reload', async () => {
    const viewer = await (await browser.newContext()).newPage();
    await viewer.goto(`${p.url}/`);
    await viewer.getByText('All Systems Operational').waitFor();
    const port = p.running?.port ?? 0;
    await p.stopServer();
    createIncident(p.ctx, system, { name: 'Happened while restarting', components: { [api]: 'partial_outage' } });
    await p.listen(port);
    await viewer.locator('#incidents').getByText('Happened while restarting').waitFor({ timeout: 15_000 });
    await viewer.locator('#banner').getByText('Partial System Outage').waitFor({ timeout: 2000 });
  });

  it('shows everything without JavaScript (only live updates are lost)', async () => {
    const page = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
    await page.goto(`${p.url}/`);
    await page.locator('#banner').getByText('Partial System Outage').waitFor();
    await page.locator('#components .status', { hasText: 'Partial outage' }).waitFor();
    await page.locator('#incidents').getByText('Happened while restarting').waitFor();
    await page.getByRole('link', { name: 'Happened while restarting' }).first().click();
    await page.getByRole('heading', { name: 'Happened while restarting' }).waitFor();
    await page.getByText('We are currently investigating this issue.').waitFor();
    // Times are readable without the script, with their offset.
    assert.match((await page.locator('time').first().textContent()) ?? '', /UTC/);
  });

  it('looks right at 390 px and in the dark', async () => {
    for (const [name, options] of [
      ['status-incident-390', { viewport: { width: 390, height: 844 } }],
      ['status-incident-1280-dark', { colorScheme: 'dark' as const }],
      ['status-incident-390-dark', { viewport: { width: 390, height: 844 }, colorScheme: 'dark' as const }],
    ] as const) {
      const page = await (await browser.newContext(options)).newPage();
      await page.goto(`${p.url}/`);
      await page.locator('#banner').waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${name}: no horizontal scrolling`);
      await screenshot(page, name);
    }
  });

  it('keeps an incident page (behind "Full timeline" and every mail) live, on a phone, and complete without JavaScript', async () => {
    const incident = createIncident(p.ctx, system, {
      name: 'Checkout errors',
      body: 'Investigating failed payments.',
      components: { [api]: 'partial_outage' },
    });
    const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await phone.goto(`${p.url}/`);
    await phone
      .locator('#incidents')
      .getByRole('link', { name: /Full timeline/ })
      .first()
      .click();
    await phone.waitForURL(new RegExp(`/incidents/${incident.id}$`));
    await phone.locator('body[data-live="on"]').waitFor({ timeout: 5000 });
    const marker = await phone.evaluate(() => ((window as unknown as { marker: number }).marker = 7));
    const operator = await (await browser.newContext()).newPage();
    await signInAs(operator, p.url, 'ops@example.com');
    await operator.goto(`${p.url}/admin/incidents/${incident.id}`);
    await operator.getByLabel('Status', { exact: true }).selectOption('identified');
    await operator.getByLabel(/^Message/).fill('The payment provider rotated a key.');
    await operator.getByRole('button', { name: 'Post update' }).click();
    await phone.locator('#incident').getByText('The payment provider rotated a key.').waitFor({ timeout: 2000 });
    await phone.locator('#incident .status', { hasText: 'Identified' }).waitFor({ timeout: 2000 });
    assert.equal(await phone.evaluate(() => (window as unknown as { marker: number }).marker), marker, 'no reload');
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, 'no horizontal scrolling at 390 px');
    await screenshot(phone, 'incident-page-live-390');

    const noJs = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
    await noJs.goto(`${p.url}/incidents/${incident.id}`);
    await noJs.getByText('The payment provider rotated a key.').waitFor();
    await noJs.getByText('Investigating failed payments.').waitFor();
  });

  it('keeps the outage banner as alarming in the dark as in the light: white on deep red, at least 4.5:1', async () => {
    const outage = createIncident(p.ctx, system, { name: 'Everything is down', body: 'Investigating.', components: { [api]: 'major_outage' } });
    const seen: Record<string, { color: string; background: string; ratio: number }> = {};
    for (const scheme of ['light', 'dark'] as const) {
      const page = await (await browser.newContext({ colorScheme: scheme })).newPage();
      await page.goto(`${p.url}/`);
      const style = await page.locator('#banner .banner').evaluate((el) => {
        const computed = getComputedStyle(el);
        return { color: computed.color, background: computed.backgroundColor };
      });
      const [hi, lo] = [luminance(style.color), luminance(style.background)].sort((x, y) => y - x);
      seen[scheme] = { ...style, ratio: ((hi ?? 0) + 0.05) / ((lo ?? 0) + 0.05) };
      await screenshot(page, `status-major-outage-1280-${scheme}`);
    }
    assert.deepEqual(seen.dark, seen.light, 'the same banner in both schemes');
    assert.equal(seen.dark?.color, 'rgb(255, 255, 255)');
    assert.ok((seen.dark?.ratio ?? 0) >= 4.5, JSON.stringify(seen));
    const { patchIncident } = await import('../../server/domain/incidents/writes.js');
    patchIncident(p.ctx, system, outage.id, { status: 'resolved' });
  });

  it("shows times in the same format before and after the script, only in the viewer's own zone", async () => {
    const incident = createIncident(p.ctx, system, { name: 'Clock check', body: 'Times.' });
    const server = await (await fetch(`${p.url}/incidents/${incident.id}`)).text();
    const shown = /<time datetime="[^"]+" data-local="datetime">([^<]+)<\/time>/.exec(server)?.[1] ?? '';
    assert.match(shown, /^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC$/, shown);
    for (const [zone, pattern] of [
      ['UTC', /^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC$/],
      ['America/New_York', /^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC-[45]$/],
      ['Asia/Kolkata', /^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC\+5:30$/],
    ] as const) {
      const page = await (await browser.newContext({ timezoneId: zone, locale: 'en-US' })).newPage();
      await page.goto(`${p.url}/incidents/${incident.id}`);
      const text = (await page.locator('time[data-local]').first().textContent()) ?? '';
      assert.match(text, pattern, `${zone}: ${text}`);
      if (zone === 'UTC') assert.equal(text, shown, 'in the page zone, the very text the server wrote');
    }
  });

  it('groups show their own worst status and fold, remembered across reloads; without JavaScript they stay open; rows are compact', async () => {
    const group = createGroup(p.ctx, system, { name: 'Payments' });
    const cards = createComponent(p.ctx, system, { name: 'Card payments', group_id: group.id }).id;
    createComponent(p.ctx, system, { name: 'Refunds', group_id: group.id });
    const outage = createIncident(p.ctx, system, { name: 'Cards declined', body: 'Investigating.', components: { [cards]: 'partial_outage' } });
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${p.url}/`);
    const head = page.locator(`#group-${group.id} summary`);
    await head.locator('.status', { hasText: 'Partial outage' }).waitFor();
    const row = page.locator(`#component-${cards}`);
    const height = (await row.boundingBox())?.height ?? 999;
    assert.ok(height <= 90, `a row with its bars is ${height} px high`);
    await head.click();
    assert.equal(await row.isVisible(), false, 'folded');
    await page.reload();
    await page.locator('body[data-live="on"]').waitFor();
    assert.equal(await page.locator(`#group-${group.id} details`).getAttribute('open'), null, 'still folded after a reload');
    // A live change to the group sends the region whole (its heading's status changes) and the fold stays.
    const { patchIncident } = await import('../../server/domain/incidents/writes.js');
    patchIncident(p.ctx, system, outage.id, { status: 'resolved' });
    await head.locator('.status', { hasText: 'Operational' }).waitFor({ timeout: 2000 });
    assert.equal(await page.locator(`#group-${group.id} details`).getAttribute('open'), null, 'still folded after the update');
    const noJs = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
    await noJs.goto(`${p.url}/`);
    assert.equal(await noJs.locator(`#component-${cards}`).isVisible(), true, 'open without JavaScript');
    assert.equal(await noJs.getByRole('link', { name: 'Subscribe to updates' }).getAttribute('href'), '/subscribe');
    await screenshot(page, 'status-groups-folded-1280');
  });
});
