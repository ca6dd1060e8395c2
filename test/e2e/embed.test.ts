import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { setEmbed, EMBED_DEFAULTS } from '../../server/domain/page/embed.js';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident, patchIncident } from '../../server/domain/incidents/writes.js';
import { startPharos, systemClockPharos, type TestPharos } from '../helpers/pharos.js';
import { launch, screenshot } from './browser.js';

const system = { type: 'system' } as const;
const FRAME = 'iframe[title="Service status"]';

/**
 * Runs first in every frame, the customer's page and the cross-origin frame alike: a CSP violation
 * becomes a console error, and the customer's page records the messages it receives (so a test knows
 * the frame has reported, even when it reported that there is nothing to show).
 */
const WATCH = `
document.addEventListener('securitypolicyviolation', function (e) {
  console.error('CSP violation in ' + location.origin + ': ' + e.violatedDirective + ' ' + e.blockedURI);
});
window.__embedMessages = 0;
window.addEventListener('message', function () { window.__embedMessages += 1; });
`;

/** Another site: its own origin (127.0.0.2), a strict CSP that allows only the status page's script and frame. */
function customerSite(pharos: string, widget: Buffer): Server {
  return createServer((req, res) => {
    if (req.url === '/favicon.ico') return void res.writeHead(204).end();
    if (req.url === '/status-widget.js') return void res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(widget);
    if (req.url === '/widget') {
      // Atlassian's web component, pointed at Pharos; it reads /api/v2/summary.json across origins.
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      return void res.end(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Widget</title></head><body>` +
          `<statuspage-widget src="${pharos}"></statuspage-widget> <statuspage-widget src="${pharos}" appearance="badge"></statuspage-widget>` +
          `<script src="/status-widget.js"></script></body></html>`,
      );
    }
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': `default-src 'self'; script-src 'self' ${pharos}; frame-src ${pharos}; style-src 'self'; img-src 'self'`,
    });
    res.end(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
        `<title>Customer app</title></head><body><h1>Customer app</h1><p>Our product, with the status of its services.</p>` +
        `<script src="${pharos}/embed/script.js"></script></body></html>`,
    );
  });
}

/** The embed in a real browser, on a page of another origin. */
describe('in a real browser: the embed on another site', () => {
  let p: TestPharos;
  let browser: Browser;
  let site: Server;
  let customer: string;
  let api: string;
  /** Console errors and page errors, of every frame of every page opened. */
  const problems: string[] = [];

  before(async () => {
    p = await startPharos({ listen: true, ...systemClockPharos() });
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    const widget = readFileSync(createRequire(import.meta.url).resolve('@statuspage/status-widget/dist/index.js'));
    site = customerSite(p.url, widget);
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.2', resolve));
    customer = `http://127.0.0.2:${(site.address() as AddressInfo).port}`;
    browser = await launch();
  });
  after(async () => {
    await browser.close();
    await new Promise((resolve) => site.close(resolve));
    await p.close();
  });

  async function context(options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
    const ctx = await browser.newContext(options);
    await ctx.addInitScript({ content: WATCH });
    return ctx;
  }
  function watch(page: Page): Page {
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${m.location().url}: ${m.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    return page;
  }
  /** The customer's page, once the frame has told it what it shows. */
  async function openCustomer(page: Page): Promise<void> {
    await page.goto(`${customer}/`);
    await page.waitForFunction(() => (window as unknown as { __embedMessages: number }).__embedMessages > 0);
  }
  const frameOf = (page: Page): Frame => {
    const frame = page.frames().find((f) => f.url().startsWith(`${p.url}/embed/frame`));
    assert.ok(frame, 'the embed frame');
    return frame;
  };

  it('shows nothing while all is well', async () => {
    const page = watch(await (await context()).newPage());
    await openCustomer(page);
    assert.equal(await page.locator(FRAME).isVisible(), false);
    assert.equal(await page.locator(FRAME).getAttribute('src'), `${p.url}/embed/frame#${encodeURIComponent(customer)}`);
    await page.close();
  });

  it('shows an open incident, linked in a new tab, bottom right; dismissed, it stays hidden on reload until the next update', async () => {
    const incident = createIncident(p.ctx, system, {
      name: 'Elevated API error rates',
      body: 'We are **investigating** errors on the API.',
      components: { [api]: 'partial_outage' },
    });
    const page = watch(await (await context()).newPage());
    await openCustomer(page);
    const frame = page.frameLocator(FRAME);
    const link = frame.getByRole('link', { name: 'Elevated API error rates' });
    await link.waitFor();
    assert.equal(await link.getAttribute('href'), `/incidents/${incident.id}`);
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.equal(await link.getAttribute('rel'), 'noopener');
    await frame.getByText('Investigating · We are investigating errors on the API.').waitFor();
    const box = await page.locator(FRAME).boundingBox();
    assert.ok(box && Math.round(box.x + box.width) === 1280 - 8 && box.width === 360, `bottom right: ${JSON.stringify(box)}`);
    assert.ok(box.height > 40 && Math.round(box.y + box.height) === 720 - 8, `sized to its box: ${JSON.stringify(box)}`);
    await screenshot(page, 'embed-incident-1280');

    // The link opens the incident's page on the status page, in a new tab.
    const [tab] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
    await tab.waitForLoadState();
    assert.equal(tab.url(), `${p.url}/incidents/${incident.id}`);
    await tab.close();

    await frame.getByRole('button', { name: 'Dismiss' }).click();
    await page.locator(FRAME).waitFor({ state: 'hidden' });
    await page.reload();
    await page.waitForFunction(() => (window as unknown as { __embedMessages: number }).__embedMessages > 0);
    assert.equal(await page.locator(FRAME).isVisible(), false, 'still dismissed after a reload');

    patchIncident(p.ctx, system, incident.id, { status: 'identified', body: 'A bad deploy; rolling back.' });
    await page.reload();
    await frame.getByText('Identified · A bad deploy; rolling back.').waitFor();
    assert.equal(await page.locator(FRAME).isVisible(), true, 'a new update shows it again');
    await page.close();
  });

  it('follows the page without a reload of the customer site: the frame asks for itself again', async () => {
    const page = watch(await (await context()).newPage());
    await openCustomer(page);
    await page.locator(FRAME).waitFor({ state: 'visible' });
    const open = p.ctx.db.prepare("SELECT id FROM incidents WHERE kind = 'incident' AND resolved_at IS NULL").pluck().all() as string[];
    for (const id of open) patchIncident(p.ctx, system, id, { status: 'resolved', body: 'Fixed.' });
    // What the minute's timer does, at once: a tab coming back to view refreshes too.
    const refresh = () => frameOf(page).evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    await refresh();
    await page.locator(FRAME).waitFor({ state: 'hidden' });
    createIncident(p.ctx, system, { name: 'Login failures', components: { [api]: 'major_outage' } });
    await refresh();
    await page.frameLocator(FRAME).getByRole('link', { name: 'Login failures' }).waitFor();
    await page.locator(FRAME).waitFor({ state: 'visible' });
    await page.close();
  });

  it('takes the full width of a phone (390 px), at the bottom', async () => {
    const page = watch(await (await context({ viewport: { width: 390, height: 844 } })).newPage());
    await openCustomer(page);
    await page.locator(FRAME).waitFor({ state: 'visible' });
    const box = await page.locator(FRAME).boundingBox();
    assert.ok(box && box.x === 0 && box.width === 390 && Math.round(box.y + box.height) === 844, JSON.stringify(box));
    const inner = await page.frameLocator(FRAME).locator('.embed').boundingBox();
    assert.ok(inner && inner.width >= 390 - 16, `the box spans the frame: ${JSON.stringify(inner)}`);
    await screenshot(page, 'embed-incident-390');
    await page.close();
  });

  it('takes the position and colours from Settings', async () => {
    setEmbed(p.ctx, system, { ...EMBED_DEFAULTS, position: 'bottom-left', incident_background_color: '#5b2a86', incident_text_color: '#ffffff' });
    const page = watch(await (await context()).newPage());
    await openCustomer(page);
    await page.locator(FRAME).waitFor({ state: 'visible' });
    const box = await page.locator(FRAME).boundingBox();
    assert.ok(box && box.x === 8, `bottom left: ${JSON.stringify(box)}`);
    const colours = await page
      .frameLocator(FRAME)
      .locator('.embed')
      .evaluate((el) => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]);
    assert.deepEqual(colours, ['rgb(91, 42, 134)', 'rgb(255, 255, 255)']);
    await screenshot(page, 'embed-settings-1280');
    await page.close();
  });

  it('logged no error and no CSP violation, on the customer page or in the frame', () => {
    assert.deepEqual(problems, []);
  });

  it('is not shown on a site Settings does not list (frame-ancestors)', async () => {
    setEmbed(p.ctx, system, { ...EMBED_DEFAULTS, origins: ['https://www.example.com'] });
    const page = await (await context()).newPage();
    const refused: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') refused.push(m.text());
    });
    await page.goto(`${customer}/`);
    await page.waitForFunction(() => document.querySelector('iframe') !== null);
    await page.waitForLoadState('load');
    assert.equal(await page.locator(FRAME).isVisible(), false);
    assert.ok(
      refused.some((m) => /frame-ancestors/.test(m)),
      `the browser refused to frame it: ${refused.join(' | ')}`,
    );
    setEmbed(p.ctx, system, EMBED_DEFAULTS);
    await page.close();
  });

  it("Atlassian's @statuspage/status-widget shows our status from /api/v2/summary.json", async () => {
    const status = (await (await fetch(`${p.url}/api/v2/summary.json`)).json()) as { status: { indicator: string; description: string } };
    assert.notEqual(status.status.indicator, 'none', 'an incident is open');
    const page = watch(await (await context()).newPage());
    const before = problems.length;
    await page.goto(`${customer}/widget`);
    const widget = page.locator('statuspage-widget').first();
    await widget.getByText(status.status.description).waitFor();
    assert.equal(await widget.locator('a').getAttribute('href'), p.url);
    assert.equal(await widget.locator(`.status-indicator.${status.status.indicator}`).count(), 1);
    await page.locator('statuspage-widget[appearance="badge"]').getByText(status.status.description, { exact: false }).waitFor();
    await screenshot(page, 'status-widget');
    // The published bundle (1.0.5) assigns the undeclared global parcelRequire under its own "use strict"
    // (added by its babel step), which throws once its modules have run and the element is defined: its
    // own error, on any page, whatever the status page. Nothing else may fail.
    assert.deepEqual(
      problems.slice(before).filter((m) => m !== 'page error: parcelRequire is not defined'),
      [],
    );
    await page.close();
  });
});
