import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { freePort, PharosProcess } from '../helpers/process.js';
import { runTs } from '../helpers/spawn.js';
import { launch, screenshot, seriousViolations } from './browser.js';

const PAUSED = 'Live updates paused, reconnecting…';

/**
 * A viewer's page when the server goes away: a real Pharos process (filled by `npm run seed:demo`) is
 * killed, the pages say that live updates are paused and since when; the process starts again and the
 * notice goes. At 360 and 1280 px, on the status page and on an incident's page, axe clean.
 */
describe('in a real browser: live updates paused while the server is gone', () => {
  let dataDir = '';
  let env: Record<string, string> = {};
  let base = '';
  let pharos: PharosProcess | undefined;
  let browser: Browser;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pharos-paused-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: base, LOG_LEVEL: 'warn' };
    const seeded = await runTs('scripts/seed-demo.ts', [], { DATA_DIR: dataDir }, '', 60_000);
    assert.equal(seeded.code, 0, seeded.stderr);
    pharos = new PharosProcess(env);
    await pharos.ready(`${base}/api/v2/status.json`, 60_000);
    browser = await launch();
  });
  after(async () => {
    await browser.close();
    await pharos?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const notice = (page: Page) => page.locator('#live-paused');

  it('says so a few seconds after the server dies, with when the page was last current, and clears it once the server is back', async () => {
    const unresolved = (await (await fetch(`${base}/api/v2/incidents/unresolved.json`)).json()) as { incidents: { id: string }[] };
    const incident = unresolved.incidents[0]?.id ?? '';
    assert.ok(incident, 'the demo has an open incident');
    const pages: [string, Page][] = [];
    for (const [name, width, path] of [
      ['status-360', 360, '/'],
      ['status-1280', 1280, '/'],
      ['incident-360', 360, `/incidents/${incident}`],
    ] as const) {
      // The CSP forbids inline scripts, axe's included: bypassed for the audit only.
      const page = await (await browser.newContext({ viewport: { width, height: 800 }, bypassCSP: true })).newPage();
      await page.goto(`${base}${path}`);
      await page.locator('body[data-live="on"]').waitFor();
      assert.equal(await notice(page).textContent(), '', `${name}: nothing to say while live`);
      pages.push([name, page]);
    }

    const lost = Date.now();
    await pharos?.kill('SIGKILL');
    for (const [name, page] of pages) {
      await page.locator('body[data-live="off"]').waitFor();
      // The connection is known lost at once, but a moment without it is no news (a restart takes less).
      assert.equal(await notice(page).textContent(), '', `${name}: not at the first moment`);
    }
    for (const [name, page] of pages) {
      await notice(page).getByText(PAUSED).waitFor({ timeout: 15_000 });
      const text = (await notice(page).innerText()).replace(/\s+/g, ' ');
      assert.match(
        text,
        /^Live updates paused, reconnecting… Showing the status as of \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC[^ ]*\.$/,
        `${name}: ${text}`,
      );
      const asOf = Date.parse((await notice(page).locator('time').getAttribute('datetime')) ?? '');
      assert.ok(asOf >= lost - 1000 && asOf <= Date.now(), `${name}: current until the connection was lost`);
      // What the page showed is still there, under the notice, which stays in sight.
      assert.ok(await page.locator('main h1').first().isVisible(), name);
      assert.deepEqual(await seriousViolations(page), [], `${name}: axe`);
      await screenshot(page, `live-paused-${name}`);
    }
    const [, phone] = pages[0] ?? [];
    assert.ok(phone);
    await phone.evaluate(() => window.scrollTo(0, 1500));
    await phone.waitForFunction(() => window.scrollY > 0);
    const box = await notice(phone).boundingBox();
    assert.ok(box && box.y >= 0 && box.y < 10, `the notice stays at the top while the page scrolls: ${JSON.stringify(box)}`);

    pharos = new PharosProcess(env);
    await pharos.ready(`${base}/api/v2/status.json`, 60_000);
    for (const [name, page] of pages) {
      await page.locator('body[data-live="on"]').waitFor({ timeout: 20_000 });
      await page.waitForFunction(() => document.getElementById('live-paused')?.textContent === '', null, { timeout: 5000 });
      assert.equal(await notice(page).textContent(), '', `${name}: cleared once live again`);
    }
  });
});
