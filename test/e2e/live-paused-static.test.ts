import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { startStaticMirror } from '../../server/snapshot/static-mirror.js';
import { startNginx, type Nginx } from '../helpers/nginx.js';
import { startPharos, systemClockPharos, type TestPharos } from '../helpers/pharos.js';
import { launch, screenshot, seriousViolations } from './browser.js';

const system = { type: 'system' } as const;

/**
 * A page loaded while Pharos is down, from the static copy nginx serves (docs/nginx/pharos.conf): it has
 * no live client at all (socket.io's is Pharos's), says that live updates are paused, asks for the client
 * again from time to time, and goes live with the current state once Pharos answers.
 */
describe('in a real browser: the static copy says it is not live, and goes live when Pharos is back', () => {
  let p: TestPharos;
  let nginx: Nginx;
  let browser: Browser;
  let port = 0;

  before(async () => {
    p = await startPharos({ listen: true, ...systemClockPharos() });
    port = p.running?.port ?? 0;
    // nginx's workers run as another user: they read DATA_DIR/static, as they must in production.
    chmodSync(p.dataDir, 0o755);
    p.mirror(startStaticMirror(p.ctx));
    createComponent(p.ctx, system, { name: 'API' });
    const index = join(p.dataDir, 'static', 'index.html');
    for (let i = 0; i < 250 && !(existsSync(index) && readFileSync(index, 'utf8').includes('API')); i++) await new Promise((r) => setTimeout(r, 20));
    nginx = await startNginx(port, join(p.dataDir, 'static'));
    browser = await launch();
  });
  after(async () => {
    await browser.close();
    nginx.stop();
    await p.close();
  });

  it('shows "Live updates paused" on the static copy, then the current state once Pharos answers again', { timeout: 90_000 }, async () => {
    await p.stopServer();
    // The CSP forbids inline scripts, axe's included: bypassed for the audit only.
    const page = await (await browser.newContext({ viewport: { width: 360, height: 800 }, bypassCSP: true })).newPage();
    await page.goto(`${nginx.base}/`);
    await page.getByText('All Systems Operational').waitFor();
    assert.equal(await page.evaluate(() => typeof (window as unknown as { io?: unknown }).io), 'undefined', 'no live client on the static copy');
    await page.locator('#live-paused').getByText('Live updates paused, reconnecting…').waitFor({ timeout: 10_000 });
    assert.deepEqual(await seriousViolations(page), []);
    await screenshot(page, 'live-paused-static-360');

    // Something happens while the page is open, then Pharos answers again on the same address.
    createIncident(p.ctx, system, { name: 'Happened while we were away', body: 'Looking into it.' });
    await p.listen(port);
    await page.locator('body[data-live="on"]').waitFor({ timeout: 30_000 });
    await page.locator('#incidents').getByText('Happened while we were away').waitFor({ timeout: 5000 });
    assert.equal(await page.locator('#live-paused').textContent(), '', 'the notice is gone');
  });
});
