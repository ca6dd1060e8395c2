import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { startStaticMirror } from '../../server/snapshot/static-mirror.js';
import { startPharos, type TestPharos } from '../helpers/pharos.js';
import { startNginx, type Nginx } from '../helpers/nginx.js';

const system = { type: 'system' } as const;

async function until(test: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The static fallback end to end: Pharos mirrors its page to DATA_DIR/static, Debian's nginx runs with
 * the configuration the docs give (docs/nginx/pharos.conf), Pharos stops, and the page is still there.
 */
describe('static fallback behind nginx', () => {
  let p: TestPharos;
  let nginx: Nginx | undefined;
  let base: string;
  let staticDir: string;

  before(async () => {
    p = await startPharos({ listen: true });
    // nginx's workers run as another user: they read DATA_DIR/static, as they must in production.
    chmodSync(p.dataDir, 0o755);
    staticDir = join(p.dataDir, 'static');
    p.mirror(startStaticMirror(p.ctx));
    const api = createComponent(p.ctx, system, { name: 'API' });
    createIncident(p.ctx, system, {
      name: 'Large-scale malicious attacks',
      status: 'investigating',
      body: 'We are filtering the traffic.',
      components: { [api.id]: 'major_outage' },
    });
    await until(
      () => existsSync(join(staticDir, 'index.html')) && readFileSync(join(staticDir, 'index.html'), 'utf8').includes('Large-scale malicious attacks'),
    );

    nginx = await startNginx(p.running?.port ?? 0, staticDir);
    base = nginx.base;
  });
  after(async () => {
    nginx?.stop();
    await p?.close();
  });

  it('proxies to Pharos while it answers, with its own headers', async () => {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Large-scale malicious attacks/);
    assert.match(page.headers.get('cache-control') ?? '', /stale-if-error/, "Pharos's answer, not the mirror's");
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200);
  });

  it('mirrors every change: the page, the JSON, the CSS and scripts', async () => {
    // Written in the background, each file replaced atomically: wait until the folder holds the current state.
    // HTML pages as .html files (nginx finds them with $uri.html); history pages past the first are not
    // mirrored, nor the not-found documents (no path of their own).
    const mirrored = () =>
      [...p.ctx.snapshot.current().bodies]
        .filter(([path]) => !path.includes('?') && path.startsWith('/'))
        .every(([path, body]) => {
          const file = join(staticDir, path === '/' ? 'index.html' : body.type.startsWith('text/html') ? `${path.slice(1)}.html` : path.slice(1));
          return existsSync(file) && readFileSync(file).equals(body.bytes);
        });
    await until(mirrored);
    assert.ok(existsSync(join(staticDir, 'css', 'pharos.css')));
    assert.ok(existsSync(join(staticDir, 'js', 'status.js')));
    createComponent(p.ctx, system, { name: 'Sign-up' });
    await until(() => readFileSync(join(staticDir, 'api', 'v2', 'components.json'), 'utf8').includes('Sign-up'));
  });

  it('keeps serving the last page and summary.json when Pharos stops', async () => {
    await p.stopServer();
    await assert.rejects(fetch(`${p.url}/`), 'Pharos itself does not answer');

    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const html = await page.text();
    assert.match(html, /Large-scale malicious attacks/);
    assert.match(html, /Sign-up/, 'with the last change');
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');

    const summary = await fetch(`${base}/api/v2/summary.json`);
    assert.equal(summary.status, 200);
    assert.match(summary.headers.get('content-type') ?? '', /application\/json/);
    const json = (await summary.json()) as { status: { indicator: string }; incidents: { name: string }[] };
    assert.equal(json.status.indicator, 'critical');
    assert.deepEqual(
      json.incidents.map((i) => i.name),
      ['Large-scale malicious attacks'],
    );

    const css = await fetch(`${base}/css/pharos.css`);
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /text\/css/);
    // Every mirrored page, the incident's own included, is there as HTML.
    const id = p.ctx.db.prepare("SELECT id FROM incidents WHERE name = 'Large-scale malicious attacks'").pluck().get() as string;
    const incidentPage = await fetch(`${base}/incidents/${id}`);
    assert.equal(incidentPage.status, 200);
    assert.match(incidentPage.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await incidentPage.text(), /We are filtering the traffic/);
    const elsewhere = await fetch(`${base}/incidents/some-id`);
    assert.equal(elsewhere.status, 200, 'any page path gets the last status page');
    assert.match(await elsewhere.text(), /Large-scale malicious attacks/);
  });
});
