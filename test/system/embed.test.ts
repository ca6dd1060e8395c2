import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { patchMaintenance, scheduleMaintenance } from '../../server/domain/incidents/maintenance.js';
import { createIncident, patchIncident } from '../../server/domain/incidents/writes.js';
import { createComponent } from '../../server/domain/page/components.js';
import { addUser, confirmAccess, signIn, startPharos, submit, type Agent, type TestPharos } from '../helpers/pharos.js';

const system = { type: 'system' } as const;

const EMBED = {
  position: 'bottom-left',
  incident_background_color: '#5b2a86',
  incident_text_color: '#ffffff',
  maintenance_background_color: '#fff8e1',
  maintenance_text_color: '#3d2b00',
  origins: 'https://www.example.com\nhttps://help.example.com:8443',
};

const frameAncestors = (csp: unknown) => /frame-ancestors ([^;]+)/.exec(String(csp))?.[1];
const keyOf = (html: string) => /data-key="([^"]*)"/.exec(html)?.[1];

/** The embed: /embed/script.js for other sites, /embed/frame (the only page that may be framed), its settings. */
describe('the embed', () => {
  let p: TestPharos;
  let admin: Agent;
  let operator: Agent;
  before(async () => {
    p = await startPharos({ listen: true });
    await addUser(p, 'admin@example.com', 'admin');
    await addUser(p, 'ops@example.com', 'operator');
    admin = await signIn(p, 'admin@example.com');
    await confirmAccess(admin);
    operator = await signIn(p, 'ops@example.com');
  });
  after(() => p.close());

  const embedSettings = () => JSON.stringify(p.ctx.db.prepare("SELECT key, value FROM settings WHERE key LIKE 'embed.%' ORDER BY key").all());

  it('only /embed/frame may be framed, by any site until Settings lists some; every other page keeps frame-ancestors none', async () => {
    // Through Express (supertest) and through the fast path of the listening server: the same headers.
    for (const get of [(path: string) => request(p.app).get(path), (path: string) => request(p.url).get(path)]) {
      const frame = await get('/embed/frame').expect(200);
      assert.equal(frameAncestors(frame.headers['content-security-policy']), '*');
      assert.equal(frame.headers['x-frame-options'], undefined, 'no X-Frame-Options on the frame');
      assert.match(String(frame.headers['content-security-policy']), /script-src 'self'/);
      assert.doesNotMatch(String(frame.headers['content-security-policy']), /unsafe-inline/);
      for (const path of ['/', '/history', '/subscribe', '/api/v2/summary.json', '/embed/script.js', '/embed/colours.css', '/admin/login']) {
        const res = await get(path).expect(200);
        assert.equal(frameAncestors(res.headers['content-security-policy']), "'none'", path);
        assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN', path);
      }
    }
  });

  it('serves /embed/script.js to any site: JavaScript, CORS and Cross-Origin-Resource-Policy cross-origin; the rest stays same-origin', async () => {
    for (const base of [p.app, p.url]) {
      const script = await request(base).get('/embed/script.js').set('Origin', 'https://www.example.com').expect(200);
      assert.match(String(script.headers['content-type']), /^text\/javascript/);
      assert.equal(script.headers['cross-origin-resource-policy'], 'cross-origin');
      assert.equal(script.headers['access-control-allow-origin'], '*');
      assert.equal(script.headers['x-content-type-options'], 'nosniff');
      assert.match(script.text, /document\.currentScript/);
      assert.ok(script.headers.etag, 'revalidated with its ETag');
      const page = await request(base).get('/').expect(200);
      assert.equal(page.headers['cross-origin-resource-policy'], 'same-origin');
    }
  });

  it('the frame shows nothing while all is well; an unresolved incident, linked in a new tab; a new update changes its key', async () => {
    const quiet = (await request(p.url).get('/embed/frame').expect(200)).text;
    assert.doesNotMatch(quiet, /class="embed /);
    assert.equal(keyOf(quiet), '');
    assert.match(quiet, /<script src="\/js\/embed-frame\.js\?v=\w+"><\/script>/);
    assert.doesNotMatch(quiet, /<script>|<style>| style=/, 'no inline script or style');

    const api = createComponent(p.ctx, system, { name: 'API' });
    // Upcoming maintenance is not shown (Statuspage's embed: unresolved incidents, maintenance in progress).
    const window = scheduleMaintenance(p.ctx, system, {
      name: 'Database upgrade',
      scheduled_for: '2026-12-02T02:00:00Z',
      scheduled_until: '2026-12-02T03:00:00Z',
      component_ids: [api.id],
    });
    assert.equal(keyOf((await request(p.url).get('/embed/frame').expect(200)).text), '');

    const incident = createIncident(p.ctx, system, {
      name: 'Elevated <errors> on the API',
      body: 'We are **looking into** [reports](https://example.com/x) of errors.',
      components: { [api.id]: 'partial_outage' },
    });
    const open = (await request(p.url).get('/embed/frame').expect(200)).text;
    assert.match(open, new RegExp(`<a href="/incidents/${incident.id}" target="_blank" rel="noopener">Elevated &lt;errors&gt; on the API</a>`));
    assert.match(open, /<strong>Investigating<\/strong> · We are looking into reports of errors\./);
    assert.match(open, /class="embed embed--incident"/);
    const first = keyOf(open);
    assert.ok(first);

    p.clock.advance(60_000);
    patchIncident(p.ctx, system, incident.id, { status: 'identified', body: 'Found it.' });
    const updated = (await request(p.url).get('/embed/frame').expect(200)).text;
    assert.match(updated, /<strong>Identified<\/strong> · Found it\./);
    assert.notEqual(keyOf(updated), first, 'a new update shows a dismissed box again');

    // Maintenance in progress is shown too, after the incidents.
    patchMaintenance(p.ctx, system, window.id, { status: 'in_progress', body: 'Started.' });
    assert.match((await request(p.url).get('/embed/frame').expect(200)).text, /1 more on the Acme Status page/);
    p.clock.advance(60_000);
    patchIncident(p.ctx, system, incident.id, { status: 'resolved', body: 'Fixed.' });
    const maintenance = (await request(p.url).get('/embed/frame').expect(200)).text;
    assert.match(maintenance, /class="embed embed--maintenance"/);
    assert.match(maintenance, /<strong>In progress<\/strong> · Started\./);
    patchMaintenance(p.ctx, system, window.id, { status: 'completed', body: 'Done.' });
    assert.equal(keyOf((await request(p.url).get('/embed/frame').expect(200)).text), '');
  });

  it('Settings shows the tag to copy; saving the embed sets the sites, position and colours at once', async () => {
    const page = (await admin.get('/admin/settings').expect(200)).text;
    assert.ok(page.includes(`&lt;script src&#x3D;&quot;${p.ctx.config.publicUrl}/embed/script.js&quot;&gt;&lt;/script&gt;`), 'the snippet');
    assert.match(page, /<option value="bottom-right" selected>/);
    assert.match(page, /id="incident_background_color" [^>]*value="#b91c1c"/);

    const res = await submit(admin, '/admin/settings', '/admin/settings/embed', EMBED);
    assert.equal(res.status, 303, res.text.slice(0, 300));
    assert.equal(res.headers.location, '/admin/settings#embed');
    for (const base of [p.app, p.url]) {
      const frame = await request(base).get('/embed/frame').expect(200);
      assert.equal(frameAncestors(frame.headers['content-security-policy']), 'https://www.example.com https://help.example.com:8443');
      assert.equal(frame.headers['x-frame-options'], undefined);
      assert.match(frame.text, /data-position="bottom-left"/);
      const css = /<link rel="stylesheet" href="(\/embed\/colours\.css\?v=[\w-]+)">/.exec(frame.text)?.[1];
      assert.ok(css);
      const sheet = await request(base).get(css).expect(200);
      assert.match(String(sheet.headers['content-type']), /^text\/css/);
      assert.match(sheet.text, /\.embed--incident \{\n {2}background: #5b2a86;\n {2}color: #ffffff;/);
      assert.match(sheet.text, /\.embed--maintenance \{\n {2}background: #fff8e1;\n {2}color: #3d2b00;/);
    }
    const shown = (await admin.get('/admin/settings').expect(200)).text;
    assert.match(shown, /<option value="bottom-left" selected>/);
    assert.match(shown, /https:\/\/www\.example\.com\nhttps:\/\/help\.example\.com:8443<\/textarea>/);
    const audit = p.ctx.db.prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'page.embed_changed'").pluck().get();
    assert.equal(audit, 1);
  });

  it('refuses a bad colour, text under 4.5:1 on its background, a bad position or site, naming the field and keeping what was typed', async () => {
    const before = embedSettings();
    for (const [field, value, message, named = field] of [
      ['incident_background_color', 'red', /Incident background: a colour such as #b91c1c/],
      ['maintenance_text_color', '#12345', /Maintenance text: a colour such as #b91c1c/],
      ['incident_text_color', '#9a7fb0', /Incident text: \d\.\d:1 against the incident background #5b2a86, text needs at least 4\.5:1/],
      ['maintenance_background_color', '#6b5a2e', /Maintenance text: \d\.\d:1 against the maintenance background #6b5a2e/, 'maintenance_text_color'],
      ['position', 'top-left', /Position must be one of: bottom-left, bottom-right/],
      ['origins', 'https://www.example.com/path', /Each line must be a site such as https:\/\/www\.example\.com \(no path\)/],
      ['origins', "'unsafe-inline' https://ok.example", /Each line must be a site/],
      ['origins', "https://x.example; script-src 'unsafe-inline'", /Each line must be a site/],
    ] as const) {
      const res = await submit(admin, '/admin/settings', '/admin/settings/embed', { ...EMBED, [field]: value });
      assert.equal(res.status, 422, `${field}=${value}`);
      assert.match(res.text, new RegExp(`id="${named}-error">`), `${field}=${value} names ${named}`);
      assert.match(res.text, message, `${field}=${value}`);
      assert.equal(embedSettings(), before, `${field}=${value} changed nothing`);
      if (field !== 'position' && field !== 'origins') assert.match(res.text, new RegExp(`id="${field}" [^>]*value="${value}"`), 'what was typed is kept');
    }
    assert.equal(
      frameAncestors((await request(p.url).get('/embed/frame')).headers['content-security-policy']),
      'https://www.example.com https://help.example.com:8443',
    );
  });

  it('an operator may not change the embed (403), and nothing changes', async () => {
    const before = embedSettings();
    const page = await operator.get('/admin').expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const res = await operator
      .post('/admin/settings/embed')
      .type('form')
      .send({ ...EMBED, origins: '', _csrf: csrf });
    assert.equal(res.status, 403);
    assert.equal(embedSettings(), before);
  });
});
