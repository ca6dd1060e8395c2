import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { addApiKey, addUser, confirmAccess, signIn, startPharos, submit, type Agent, type TestPharos } from '../helpers/pharos.js';

const BRAND = {
  page_name: 'Globex Status',
  accent: '#5b2a86',
  site_url: 'https://globex.example',
  support_url: 'https://globex.example/support',
  privacy_url: 'https://globex.example/privacy',
  terms_url: 'https://globex.example/terms',
};

/** Admin → Settings → Branding: the page's name, accent and links, live without a restart. */
describe('branding in Settings', () => {
  let p: TestPharos;
  let admin: Agent;
  before(async () => {
    p = await startPharos({ env: { PAGE_NAME: 'Default Name' } });
    await addUser(p, 'admin@example.com', 'admin');
    admin = await signIn(p, 'admin@example.com');
    await confirmAccess(admin);
  });
  after(() => p.close());

  const settings = () => JSON.stringify(p.ctx.db.prepare("SELECT key, value FROM settings WHERE key LIKE 'brand.%' ORDER BY key").all());

  it('a new name, accent and links show on the page, in its title, the v2 JSON and the stylesheet at once', async () => {
    const res = await submit(admin, '/admin/settings', '/admin/settings/branding', BRAND);
    assert.equal(res.status, 303, res.text.slice(0, 300));
    const page = (await request(p.app).get('/').expect(200)).text;
    assert.match(page, /<title>Globex Status<\/title>/);
    assert.match(page, /<a class="brand" href="\/">Globex Status<\/a>/);
    assert.match(page, /<a href="https:\/\/globex\.example" rel="noopener">Globex Status home<\/a>/);
    assert.match(page, /<a href="https:\/\/globex\.example\/support" rel="noopener">Support<\/a>/);
    assert.match(
      page,
      /<a href="https:\/\/globex\.example\/privacy" rel="noopener">Privacy<\/a> · <a href="https:\/\/globex\.example\/terms" rel="noopener">Terms<\/a>/,
    );
    const css = /<link rel="stylesheet" href="(\/brand\.css\?v=[\w-]+)">/.exec(page)?.[1];
    assert.ok(css, 'the page links its accent');
    const sheet = await request(p.app).get(css).expect(200);
    assert.match(String(sheet.headers['content-type']), /text\/css/);
    assert.match(sheet.text, /--link: #5b2a86;/);
    const summary = (await request(p.app).get('/api/v2/summary.json').expect(200)).body as { page: { name: string } };
    assert.equal(summary.page.name, 'Globex Status');
    assert.match((await request(p.app).get('/history').expect(200)).text, /Globex Status/);
    assert.match((await admin.get('/admin').expect(200)).text, /Globex Status <span class="muted">admin<\/span>/);
  });

  it('refuses an unreadable or status-like accent and a link that is not a web address, naming the field; nothing changes', async () => {
    const before = settings();
    for (const [field, value, message] of [
      ['accent', '#ffd700', /Too light: .*at least 4\.5:1/],
      ['accent', '#b91c1d', /Too close to the colour of &quot;major outage&quot;/],
      ['accent', 'blue', /A colour such as #1f5fbf/],
      ['site_url', 'javascript:alert(1)', /Company site: a web address starting with https:\/\//],
      ['page_name', '   ', /Enter the page name/],
    ] as const) {
      const res = await submit(admin, '/admin/settings', '/admin/settings/branding', { ...BRAND, [field]: value });
      assert.equal(res.status, 422, `${field}=${value}`);
      assert.match(res.text, new RegExp(`id="${field}-error">`));
      assert.match(res.text, message);
      assert.equal(settings(), before, `${field}=${value} changed nothing`);
    }
  });

  it('takes only https:// links, as their message says: an http:// one is refused naming the field, the typed value kept', async () => {
    const before = settings();
    for (const field of ['site_url', 'support_url', 'privacy_url', 'terms_url'] as const) {
      const typed = 'http://globex.example/plain';
      const res = await submit(admin, '/admin/settings', '/admin/settings/branding', { ...BRAND, [field]: typed });
      assert.equal(res.status, 422, field);
      assert.match(res.text, new RegExp(`id="${field}-error">[^<]*a web address starting with https://`));
      assert.match(res.text, new RegExp(`name="${field}"[^>]*value="http://globex\\.example/plain"`), `${field}: the typed value is kept`);
      assert.equal(settings(), before, `${field} changed nothing`);
    }
    const key = addApiKey(p, 'pages');
    const api = await request(p.app)
      .patch(`/api/v1/pages/${p.ctx.pageId}`)
      .set('Authorization', `OAuth ${key}`)
      .send({ page: { url: 'http://globex.example' } })
      .expect(422);
    assert.match(JSON.stringify(api.body), /"page\.url":"Company site: a web address starting with https:\/\/"/);
  });

  it('keeps accepting an http:// link saved before the rule until it is changed, so other edits still save', async () => {
    p.ctx.db.prepare("UPDATE settings SET value = 'http://old.globex.example' WHERE key = 'brand.site_url'").run();
    const res = await submit(admin, '/admin/settings', '/admin/settings/branding', { ...BRAND, site_url: 'http://old.globex.example', page_name: 'Globex' });
    assert.equal(res.status, 303);
    const key = addApiKey(p, 'pages again');
    await request(p.app)
      .patch(`/api/v1/pages/${p.ctx.pageId}`)
      .set('Authorization', `OAuth ${key}`)
      .send({ page: { name: 'Globex Status' } })
      .expect(200);
    assert.equal(p.ctx.db.prepare("SELECT value FROM settings WHERE key = 'brand.site_url'").pluck().get(), 'http://old.globex.example');
    await submit(admin, '/admin/settings', '/admin/settings/branding', BRAND).then((r) => assert.equal(r.status, 303));
  });

  it("PAGE_NAME stays the default: saving it back, or clearing the accent, returns to Pharos's own", async () => {
    await submit(admin, '/admin/settings', '/admin/settings/branding', { ...BRAND, page_name: 'Default Name', accent: '' }).then((r) =>
      assert.equal(r.status, 303),
    );
    const page = (await request(p.app).get('/').expect(200)).text;
    assert.match(page, /<title>Default Name<\/title>/);
    assert.doesNotMatch(page, /brand\.css/);
  });
});
