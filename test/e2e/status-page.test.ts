import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createComponent } from '../../server/domain/page/components.js';
import { createGroup } from '../../server/domain/page/groups.js';
import { createIncident, patchIncident } from '../../server/domain/incidents/writes.js';
import { scheduleMaintenance } from '../../server/domain/incidents/maintenance.js';
import { maintenanceJob } from '../../server/jobs/maintenance.js';
import { runJob } from '../../server/jobs/schedule.js';
import { FakeClock, startPharos, type TestPharos } from '../helpers/pharos.js';
import { launch, screenshot, seriousViolations } from './browser.js';

const system = { type: 'system' } as const;
const DAY = 86_400_000;
const WIDTHS = [360, 1280] as const;

/** What a viewer sees of the status page on a phone and on a desktop: past incidents, maintenance, uptime bars. */
describe('in a real browser: the status page at 360 and 1280 px', () => {
  let p: TestPharos;
  let browser: Browser;
  let api = '';
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();

  before(async () => {
    // A page with a history: built on a clock moved by hand up to now (a browser's timers do not matter here).
    const clock = new FakeClock(iso(now - 100 * DAY));
    p = await startPharos({ listen: true, clock });
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    const group = createGroup(p.ctx, system, { name: 'Payments' });
    createComponent(p.ctx, system, { name: 'Card payments', group_id: group.id });
    const outage = (at: number, minutes: number) => {
      clock.set(iso(at));
      const id = createIncident(p.ctx, system, { name: 'Gateway errors', components: { [api]: 'major_outage' } }).id;
      clock.set(iso(at + minutes * 60_000));
      patchIncident(p.ctx, system, id, { status: 'resolved', body: 'Fixed.' });
    };
    outage(now - 70 * DAY, 90);
    outage(now - 5 * DAY, 30);
    // Today: a blip resolved within a minute, and an outage still open with two updates.
    outage(now - 2 * 3_600_000, 0.25);
    clock.set(iso(now - 3_600_000));
    const open = createIncident(p.ctx, system, {
      name: 'Checkout is down',
      body: 'We are looking into failed payments.',
      components: { [api]: 'major_outage' },
    }).id;
    patchIncident(p.ctx, system, open, { status: 'identified', body: 'A bad deploy; we are **rolling it back**.' });
    // A window that started by itself: its card keeps the operator's words.
    const db = createComponent(p.ctx, system, { name: 'Database' }).id;
    scheduleMaintenance(p.ctx, system, {
      name: 'Database upgrade',
      body: 'The primary database moves to version 17; writes pause for about ten minutes.',
      scheduled_for: iso(now - 30 * 60_000),
      scheduled_until: iso(now + 3_600_000),
      component_ids: [db],
    });
    clock.set(iso(now - 29 * 60_000));
    await runJob(p.ctx, maintenanceJob);
    clock.set(iso(now));
    browser = await launch();
  });
  after(async () => {
    await browser.close();
    await p.close();
  });

  async function open(width: number): Promise<Page> {
    // The CSP forbids inline scripts, axe's included: bypassed for the audit only.
    const page = await (await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true })).newPage();
    await page.goto(`${p.url}/`);
    await page.locator('body[data-live="on"]').waitFor();
    return page;
  }
  const width = async (page: Page, selector: string) => (await page.locator(selector).boundingBox())?.width ?? 0;

  it("lists today's open incident with its latest update, and keeps the operator's maintenance words, axe clean", async () => {
    for (const w of WIDTHS) {
      const page = await open(w);
      // The day it started (today, or yesterday when the test runs just after midnight).
      const today = page.locator('#past .day', { has: page.getByRole('heading', { name: 'Checkout is down' }) });
      const entry = today.locator('.past-incident', { hasText: 'Checkout is down' });
      await entry.getByRole('heading', { name: 'Checkout is down' }).waitFor();
      assert.match((await entry.innerText()).replace(/\s+/g, ' '), /Identified · .+ A bad deploy; we are rolling it back\./, `${w}`);
      assert.equal(await today.getByText('No incidents reported.').count(), 0, `${w}: nothing says "no incidents" under an open one`);
      await page.locator('#past .past-incident', { hasText: 'Gateway errors' }).getByText('Resolved within a minute').waitFor();
      const card = page.locator('#maintenance .maintenance-active');
      await card.getByText('The primary database moves to version 17; writes pause for about ten minutes.').waitFor();
      assert.doesNotMatch(await card.innerText(), /currently in progress/);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${w}: no sideways scrolling`);
      assert.deepEqual(await seriousViolations(page), [], `${w}: axe`);
      await screenshot(page, `status-page-${w}`);
    }
  });

  it('on a phone: the last 30 days, bars wide enough to read, their own uptime; every day in the list, an older one drawn while focused', async () => {
    const page = await open(360);
    const row = `#component-${api}`;
    const bars = page.locator(`${row} ol.uptime > li`);
    // All 90 days stay in the list, for screen readers too (hidden from the eye only).
    const listed = await bars.count();
    assert.equal(await page.locator(`${row} ol.uptime`).getByRole('listitem').count(), listed);
    const days = await bars.evaluateAll((lis) => lis.map((li) => ({ older: li.classList.contains('bar--older'), width: li.getBoundingClientRect().width })));
    const older = days.filter((d) => d.older);
    const recent = days.filter((d) => !d.older);
    assert.ok(older.length >= 2, 'days before the last 30 are in the list');
    assert.ok(
      older.every((d) => d.width <= 1),
      `older days are not drawn: ${JSON.stringify(older)}`,
    );
    const single = await page.locator(`${row} ol.uptime > li.bar--major_outage:not(.bar--older)`).first().boundingBox();
    assert.ok((single?.width ?? 0) >= 8, `a day's bar is ${single?.width} px wide`);
    // Every row's bars stay inside it (a run of quiet days over the whole 90 days included).
    const outside = await page.locator('ol.uptime').evaluateAll((lists) =>
      lists.flatMap((ol) => {
        const box = ol.getBoundingClientRect();
        return [...ol.children]
          .filter((li) => !li.classList.contains('bar--older'))
          .map((li) => li.getBoundingClientRect())
          .filter((r) => r.left < box.left - 0.5 || r.right > box.right + 0.5)
          .map((r) => `${r.left}–${r.right} outside ${box.left}–${box.right}`);
      }),
    );
    assert.deepEqual(outside, []);
    const drawn = recent.reduce((s, d) => s + d.width, 0);
    const full = await width(page, `${row} ol.uptime`);
    assert.ok(drawn > full - 30 && drawn <= full + 1, `the 30 days fill the row: ${drawn} of ${full} px`);
    assert.match(await page.locator(`${row} .uptime__figure--recent`).innerText(), /^\d+\.\d\d % uptime · 30 days$/);
    assert.ok((await width(page, `${row} .uptime__figure:not(.uptime__figure--recent)`)) <= 1, 'the 90-day figure is for screen readers only');
    assert.match((await page.locator(`${row} .uptime__figure:not(.uptime__figure--recent)`).textContent()) ?? '', /· 90 days/);

    // The keyboard reaches an older day with something to say: the 90 days are drawn while it has the focus.
    const target = page.locator(`${row} li.bar--older[tabindex="0"]`).first();
    await page.locator(`#components`).focus();
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await target.evaluate((el) => el === document.activeElement);
    }
    assert.ok(reached, 'Tab reaches the older day');
    assert.ok(((await target.boundingBox())?.width ?? 0) > 1, 'drawn while focused');
    const tip = target.locator('.tip');
    assert.match(await tip.innerText(), /Major outage, 1 h 30 min of major outage; Gateway errors/);
    assert.ok(((await tip.boundingBox())?.width ?? 0) > 50, 'its text shows');
    // The figure follows what is drawn.
    assert.ok((await width(page, `${row} .uptime__figure:not(.uptime__figure--recent)`)) > 50, 'the 90-day figure while the 90 days are drawn');
    assert.equal(await page.locator(`${row} .uptime__figure--recent`).isVisible(), false);
    await screenshot(page, 'status-bars-focused-older-360');
    await page.keyboard.press('Shift+Tab');
    assert.ok(((await target.boundingBox())?.width ?? 0) <= 1, 'the last 30 days again once the focus has left');
    assert.deepEqual(await seriousViolations(page), []);
  });

  it('on a desktop: all 90 days drawn and the 90-day figure', async () => {
    const page = await open(1280);
    const row = `#component-${api}`;
    const older = await page.locator(`${row} li.bar--older`).evaluateAll((lis) => lis.map((li) => li.getBoundingClientRect().width));
    assert.ok(older.length >= 2 && older.every((w) => w > 1), `older days drawn: ${JSON.stringify(older)}`);
    assert.match(await page.locator(`${row} .uptime__figure:not(.uptime__figure--recent)`).innerText(), /^\d+\.\d\d % uptime · 90 days$/);
    assert.equal(await page.locator(`${row} .uptime__figure--recent`).isVisible(), false);
  });
});
