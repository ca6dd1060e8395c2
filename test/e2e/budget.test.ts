import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { createGroup } from '../../server/domain/page/groups.js';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { startPharos, type TestPharos } from '../helpers/pharos.js';
import { launch } from './browser.js';

const system = { type: 'system' } as const;
const BUDGET = 60 * 1024;

/** The status page's own weight: HTML, CSS and our scripts under 60 KB compressed (the socket.io client aside). */
describe('page weight and self-hosting', () => {
  let p: TestPharos;
  before(async () => {
    p = await startPharos({ listen: true });
    // A realistic page: 12 components in 3 groups, an open incident, 90 days of history on each.
    p.clock.set('2026-09-01T00:00:00.000Z');
    for (let g = 0; g < 3; g++) {
      const group = createGroup(p.ctx, system, { name: `Group ${g}` });
      for (let c = 0; c < 4; c++) createComponent(p.ctx, system, { name: `Component ${g}.${c}`, group_id: group.id });
    }
    p.clock.set('2026-11-30T10:00:00.000Z');
    const first = p.ctx.db.prepare('SELECT id FROM components LIMIT 1').pluck().get() as string;
    createIncident(p.ctx, system, { name: 'Elevated errors', body: 'Looking into it.', components: { [first]: 'major_outage' } });
  });
  after(() => p.close());

  it(`HTML + CSS + our JS stay under ${BUDGET / 1024} KB gzipped`, async () => {
    const parts = await Promise.all(['/', '/css/pharos.css', '/js/status.js', '/js/local-time.js'].map((path) => request(p.app).get(path)));
    const sizes = parts.map((r) => gzipSync(Buffer.from(r.text)).length);
    const total = sizes.reduce((a, b) => a + b, 0);
    assert.ok(total < BUDGET, `total ${total} bytes (${sizes.join(' + ')})`);
  });

  it('loads nothing from another origin and runs no inline script (strict CSP)', async () => {
    const res = await request(p.app).get('/');
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.doesNotMatch(res.text, /<script(?![^>]*\bsrc="\/)/, 'every script is a file of ours');
    assert.doesNotMatch(res.text, /(src|href)="https?:\/\//, 'no third-party asset');
    const browser = await launch();
    try {
      const page = await browser.newPage();
      const foreign: string[] = [];
      const blocked: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith(p.url)) foreign.push(r.url());
      });
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
      });
      await page.goto(`${p.url}/`);
      await page.waitForFunction(() => document.body.getAttribute('data-live') === 'on');
      assert.deepEqual(foreign, []);
      assert.deepEqual(blocked, []);
    } finally {
      await browser.close();
    }
  });

  it('is usable at 360 px and at 200 % zoom: nothing scrolls sideways', async () => {
    const browser = await launch();
    try {
      for (const options of [{ viewport: { width: 360, height: 740 } }, { viewport: { width: 640, height: 800 }, deviceScaleFactor: 2 }]) {
        const page = await (await browser.newContext(options)).newPage();
        await page.goto(`${p.url}/`);
        // 200 % zoom of a 1280 px window is a 640 px layout viewport.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 0, `${JSON.stringify(options)}: ${overflow} px sideways`);
      }
    } finally {
      await browser.close();
    }
  });

  it('no page makes the browser log a 404, the favicon included; the status page icon shows the status', async () => {
    const incident = p.ctx.db.prepare("SELECT id FROM incidents WHERE kind = 'incident' LIMIT 1").pluck().get() as string;
    const browser = await launch();
    try {
      const failed: string[] = [];
      const page = await browser.newPage();
      page.on('response', (r) => {
        if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
      });
      for (const path of ['/', '/history', `/incidents/${incident}`, '/subscribe', '/notices', '/admin/login']) {
        await page.goto(`${p.url}${path}`);
        // The favicon is fetched after the load: give it the moment it takes.
        await page.waitForLoadState('networkidle');
      }
      assert.deepEqual(failed, []);
      await page.goto(`${p.url}/`);
      assert.equal(await page.locator('link[rel="icon"]').getAttribute('href'), '/icons/status-critical.svg', 'a major outage: the critical icon');
      const icon = await request(p.app).get('/icons/status-major.svg').expect(200);
      assert.match(String(icon.headers['content-type']), /image\/svg\+xml/);
      await request(p.app).get('/favicon.ico').expect(301).expect('Location', '/icons/pharos.svg');
    } finally {
      await browser.close();
    }
  });
});
