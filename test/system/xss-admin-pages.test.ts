import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { csrfOf, submit, type Agent, type TestPharos } from '../helpers/pharos.js';
import { ADMIN_NAME, assertPage, EXTRA_NAME, KEY_NAME, KINDS, PAYLOADS, startHostileWorld, t, type HostileWorld } from './xss-world.js';

/**
 * Hostile text typed by an operator (or sent by automation) is shown as text in the admin pages too:
 * the dashboard, the incident and component pages, every other page that shows it, and the forms that
 * come back with errors.
 */

describe('hostile text is rendered inert: the admin pages', () => {
  let p: TestPharos;
  let admin: Agent;
  let made: HostileWorld['made'];
  let each: HostileWorld['each'];
  let extraIncident: string;

  before(async () => {
    ({ p, admin, made, each, extraIncident } = await startHostileWorld());
  });
  after(() => p.close());

  it('shows the admin dashboard with every incident name as text', async () => {
    const res = await admin.get('/admin').expect(200);
    assertPage(res.text, '/admin', [...each((k) => [t.incident(k), t.apiIncident(k)]), EXTRA_NAME]);
  });

  it('shows the admin incident pages with names, bodies, components and authors as text', async () => {
    for (const k of KINDS) {
      const m = made.get(k);
      assert.ok(m);
      const res = await admin.get(`/admin/incidents/${m.incident}`).expect(200);
      assertPage(res.text, `/admin/incidents/${m.incident} (${k})`, [
        t.incident(k),
        t.firstBody(k),
        t.updateBody(k),
        t.component(k),
        t.group(k),
        ADMIN_NAME,
        ...each((kk) => [t.component(kk), t.apiComponent(kk)]),
      ]);
      const viaApi = await admin.get(`/admin/incidents/${m.apiIncident}`).expect(200);
      assertPage(viaApi.text, `/admin/incidents/${m.apiIncident} (${k}, API)`, [
        t.apiIncident(k),
        t.apiBody(k),
        t.apiResolvedBody(k),
        t.apiComponent(k),
        KEY_NAME,
      ]);
    }
    const extra = await admin.get(`/admin/incidents/${extraIncident}`).expect(200);
    assertPage(extra.text, `/admin/incidents/${extraIncident}`, [EXTRA_NAME]);
  });

  it('shows the admin components page with every group and component name as text', async () => {
    const res = await admin.get('/admin/components').expect(200);
    assertPage(
      res.text,
      '/admin/components',
      each((k) => [t.group(k), t.component(k), t.apiComponent(k)]),
    );
  });

  it('keeps hostile text inert in every other admin page that shows it', async () => {
    for (const k of KINDS) {
      const m = made.get(k);
      assert.ok(m);
      const pages: [string, string[]][] = [
        ['/admin/incidents/new', [t.component(k), t.group(k)]],
        [`/admin/incidents/${m.incident}/edit`, [t.incident(k)]],
        [`/admin/incidents/${m.incident}/delete`, [t.incident(k)]],
        [`/admin/incidents/${m.incident}/updates/${m.update}/edit`, [t.incident(k), t.updateBody(k)]],
        [`/admin/incidents/${m.incident}/updates/${m.update}/delete`, [t.incident(k), t.updateBody(k)]],
        [`/admin/components/${m.component}/edit`, [t.component(k), t.componentDescription(k), t.group(k)]],
        [`/admin/components/${m.component}/delete`, [t.component(k)]],
        [`/admin/components/${m.apiComponent}/edit`, [t.apiComponent(k), t.apiComponentDescription(k)]],
        [`/admin/groups/${m.group}/edit`, [t.group(k), t.groupDescription(k)]],
        [`/admin/groups/${m.group}/delete`, [t.group(k)]],
      ];
      for (const [path, texts] of pages) {
        const res = await admin.get(path).expect(200);
        assertPage(res.text, `${path} (${k})`, texts);
      }
    }
    for (const [path, texts] of [
      ['/admin/users', [ADMIN_NAME]],
      ['/admin/api-keys', [KEY_NAME]],
      [`/admin/incidents/${extraIncident}/edit`, [EXTRA_NAME]],
    ] as const) {
      const res = await admin.get(path).expect(200);
      assertPage(res.text, path, [...texts]);
    }
  });

  it('keeps typed hostile text inert when a form comes back with errors', async () => {
    const component = await submit(admin, '/admin/components/new', '/admin/components', {
      name: t.component('svg'),
      description: t.componentDescription('img'),
      status: 'not-a-status',
    });
    assert.equal(component.status, 422);
    assertPage(component.text, 'the component form after an error', [t.component('svg'), t.componentDescription('img')]);

    const incident = await submit(admin, '/admin/incidents/new', '/admin/incidents', {
      name: t.incident('script'),
      body: `</textarea>${PAYLOADS.img}`,
      status: 'not-a-status',
    });
    assert.equal(incident.status, 422);
    assertPage(incident.text, 'the incident form after an error', [t.incident('script'), `</textarea>${PAYLOADS.img}`]);

    const anon = request.agent(p.app);
    const form = await anon.get('/admin/login').expect(200);
    const login = await anon
      .post('/admin/login')
      .type('form')
      .send({ _csrf: csrfOf(form.text), email: PAYLOADS.svg, password: 'whatever it is' });
    assert.equal(login.status, 401);
    assertPage(login.text, 'the login form after a failure', [PAYLOADS.svg]);
  });
});
