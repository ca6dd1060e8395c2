import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { issueSetupToken } from '../../server/domain/page/settings.js';
import { adminRoutes } from '../../server/http/routes.js';
import { declaredRoutes } from '../helpers/routes.js';
import { confirmAccess, csrfOf, startPharos, submit, type Agent, type TestPharos } from '../helpers/pharos.js';
import { startAdminWorld, type Route } from './admin-routes.js';

/**
 * A refused form is shown again at its target's address, which the browser keeps: reloading it, or
 * coming back to it from the history, sends a GET there. Every admin form target answers it with the
 * list, the form, or the page the form is on, never a 404.
 */
describe('every admin form target also answers a GET', () => {
  let p: TestPharos;
  let admin: Agent;
  let routes: Route[];

  before(async () => {
    ({ p, admin, routes } = await startAdminWorld());
    await confirmAccess(admin);
  });
  after(() => p.close());

  /** A GET as a browser makes it: a 303 is followed (its fragment is the browser's own). */
  const open = async (path: string) => {
    const first = await admin.get(path);
    if (first.status !== 303) return { first, page: first };
    const location = String(first.headers.location);
    return { first, page: await admin.get(location.split('#')[0] ?? location) };
  };

  it('each POST route the admin routers declare (setup aside: below)', async () => {
    const posts = declaredRoutes(adminRoutes(p.ctx))
      .filter((r) => r.startsWith('POST ') && r !== 'POST /setup')
      .map((r) => r.slice(5));
    assert.ok(posts.length > 50, 'the routers were walked');
    for (const pattern of posts) {
      const path = routes.find((r) => r.method === 'POST' && r.pattern === pattern)?.path ?? pattern;
      const { first, page } = await open(path);
      assert.ok([200, 303].includes(first.status), `GET ${path} answered ${first.status}`);
      assert.equal(page.status, 200, `GET ${path} led to ${String(first.headers.location)}, which answered ${page.status}`);
      assert.match(page.text, /Sign out<span class="visually-hidden"> admin@example\.com<\/span>/, `GET ${path}: an admin page`);
    }
  });

  it('a refused new incident, reloaded: the list of incidents; a refused window: the maintenance list', async () => {
    const incident = await submit(admin, '/admin/incidents/new', '/admin/incidents', { name: ' ', status: 'investigating' });
    assert.equal(incident.status, 422);
    const list = await admin.get('/admin/incidents').expect(200);
    assert.match(list.text, /<h1>All incidents<\/h1>/);
    assert.match(list.text, /Elevated error rates/);

    const window = await submit(admin, '/admin/maintenance/new', '/admin/maintenance', { name: 'Upgrade', scheduled_for: 'soon', scheduled_until: '' });
    assert.equal(window.status, 422);
    const maintenance = await admin.get('/admin/maintenance').expect(200);
    assert.match(maintenance.text, /<h1>Maintenance<\/h1>/);
    assert.match(maintenance.text, /Database upgrade/);
  });

  it('a refused settings form, reloaded: the settings page, at its section', async () => {
    const refused = await submit(admin, '/admin/settings', '/admin/settings/time-zone', { time_zone: 'Mars/Olympus_Mons' });
    assert.equal(refused.status, 422);
    await admin.get('/admin/settings/time-zone').expect(303).expect('Location', '/admin/settings#time-zone');
  });

  it('the password asked again, reloaded after a wrong one: asked again, then back where the operator was going', async () => {
    const wrong = await admin
      .post('/admin/confirm')
      .type('form')
      .send({ _csrf: csrfOf((await admin.get('/admin').expect(200)).text), confirm_password: 'not it', next: '/admin/subscribers' });
    assert.equal(wrong.status, 422);
    const again = await admin.get('/admin/confirm').set('Referer', `${p.ctx.config.publicUrl}/admin/subscribers`).expect(200);
    assert.match(again.text, /<h1>Confirm it is you<\/h1>/);
    assert.match(again.text, /name="next" value="\/admin\/subscribers"/);
  });

  it('/admin/logout: signed in, a page with the button (a GET never signs out); signed out, the login page', async () => {
    const page = await admin.get('/admin/logout').expect(200);
    assert.match(page.text, /<form method="post" action="\/admin\/logout"/);
    await admin.get('/admin').expect(200);
    await request(p.app).get('/admin/logout').expect(303).expect('Location', '/admin/login');
  });
});

describe('the setup form refused, then reloaded', () => {
  let p: TestPharos;
  before(async () => {
    p = await startPharos();
  });
  after(() => p.close());

  it("is the setup form again, not a 404: its address carries the link's token", async () => {
    const token = issueSetupToken(p.ctx.db);
    const agent = request.agent(p.app);
    const form = await agent.get(`/setup?token=${token}`).expect(200);
    const action = /<form method="post" action="([^"]+)"/.exec(form.text)?.[1] ?? '';
    assert.equal(action, `/setup?token=${token}`);
    const refused = await agent
      .post(action)
      .type('form')
      .send({ _csrf: csrfOf(form.text), token, email: 'first@example.com', password: 'short', password_confirm: 'short' });
    assert.equal(refused.status, 422);
    const reloaded = await agent.get(action).expect(200);
    assert.match(reloaded.text, /Create the first admin account/);
    assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM users').pluck().get(), 0);
  });
});
