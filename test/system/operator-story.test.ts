import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { ensureFirstAdmin } from '../../server/domain/access/first-admin.js';
import { listComponents } from '../../server/domain/page/components.js';
import { listGroups } from '../../server/domain/page/groups.js';
import { advanceActive, csrfOf, signIn, startPharos, submit, type Agent, type TestPharos } from '../helpers/pharos.js';

/** The README's story, through HTTP as a browser does it: real forms, CSRF tokens, session cookie. */
describe('operator story', () => {
  let p: TestPharos;
  let admin: Agent;

  before(async () => {
    p = await startPharos();
  });
  after(() => p.close());

  it('prints a one-time setup link that creates the first admin', async () => {
    const link = await ensureFirstAdmin(p.ctx);
    assert.ok(link, 'a setup link is issued when there is no user');
    const path = new URL(link).pathname + new URL(link).search;
    assert.match(path, /^\/setup\?token=[\w-]{20,}$/);
    await request(p.app).get('/setup?token=wrong').expect(404);

    const agent = request.agent(p.app);
    const form = await agent.get(path).expect(200);
    const token = new URL(link).searchParams.get('token') ?? '';
    // Mismatched passwords: the form comes back with the message and the typed email.
    const bad = await agent
      .post('/setup')
      .type('form')
      .send({ _csrf: csrfOf(form.text), token, email: 'ops@example.com', password: 'a long enough password', password_confirm: 'different' })
      .expect(422);
    assert.match(bad.text, /The passwords do not match/);
    assert.match(bad.text, /value="ops@example.com"/);

    await agent
      .post('/setup')
      .type('form')
      .send({ _csrf: csrfOf(form.text), token, email: 'ops@example.com', password: 'a long enough password', password_confirm: 'a long enough password' })
      .expect(303)
      .expect('Location', '/admin');
    const dash = await agent.get('/admin').expect(200);
    assert.match(dash.text, /Dashboard/);
    // The link works once.
    await request(p.app).get(path).expect(404);
    assert.equal(await ensureFirstAdmin(p.ctx), undefined);
    admin = await signIn(p, 'ops@example.com', 'a long enough password');
  });

  it('adds components, a group, and orders them', async () => {
    for (const name of ['API', 'Web app', 'Sign-up']) {
      await submit(admin, '/admin/components/new', '/admin/components', { name, status: 'operational', showcase: 'on' }).then((r) =>
        assert.equal(r.status, 303),
      );
    }
    const g = await submit(admin, '/admin/groups/new', '/admin/groups', { name: 'Messaging', description: 'Outbound mail' });
    assert.equal(g.status, 303);
    const group = listGroups(p.ctx.db)[0];
    assert.ok(group);
    await submit(admin, `/admin/components/new?group=${group.id}`, '/admin/components', {
      name: 'Email delivery',
      status: 'operational',
      group_id: group.id,
    }).then((r) => assert.equal(r.status, 303));

    // Move "Sign-up" up above "Web app".
    const signUp = listComponents(p.ctx.db).find((c) => c.name === 'Sign-up');
    assert.ok(signUp);
    await submit(admin, '/admin/components', `/admin/components/${signUp.id}/move`, { direction: 'up' }).then((r) => assert.equal(r.status, 303));

    const page = await request(p.app).get('/').expect(200);
    const order = ['API', 'Sign-up', 'Web app', 'Messaging', 'Email delivery'].map((n) => page.text.indexOf(`>${n}`));
    assert.ok(
      order.every((i) => i > 0),
      'every component and the group is on the page',
    );
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      order,
      'in the chosen order',
    );
    assert.match(page.text, /All Systems Operational/);
  });

  it('opens an incident with component statuses; the page shows it', async () => {
    const components = listComponents(p.ctx.db);
    const api = components.find((c) => c.name === 'API');
    const web = components.find((c) => c.name === 'Web app');
    assert.ok(api && web);
    const res = await submit(admin, '/admin/incidents/new', '/admin/incidents', {
      name: 'Large-scale malicious attacks on our services',
      status: 'investigating',
      impact_override: 'critical',
      body: 'We are seeing **very high traffic** from many sources.',
      deliver_notifications: 'on',
      [`components.${api.id}`]: 'major_outage',
      [`components.${web.id}`]: 'degraded_performance',
    });
    assert.equal(res.status, 303);
    const adminPage = await admin.get(res.headers.location ?? '').expect(200);
    assert.match(adminPage.text, /Post an update/);

    const page = await request(p.app).get('/').expect(200);
    assert.match(page.text, /Major Service Outage/);
    assert.match(page.text, /Large-scale malicious attacks on our services/);
    assert.match(page.text, /<strong>very high traffic<\/strong>/);
    assert.match(page.text, /status--major_outage/);
    assert.match(page.text, /Degraded performance/);
  });

  it('posts identified, monitoring, then resolved; components return to operational', async () => {
    const id = (p.ctx.db.prepare('SELECT id FROM incidents').pluck().get() as string) ?? '';
    const web = listComponents(p.ctx.db).find((c) => c.name === 'Web app');
    assert.ok(web);
    await advanceActive(p, [admin], 40 * 60_000);
    const steps: [string, Record<string, string>][] = [
      ['identified', { body: 'The attack is identified; filtering is being deployed.' }],
      ['monitoring', { body: 'Filtering is in place.', [`components.${web.id}`]: 'operational' }],
      ['resolved', { body: 'Services are back to normal.' }],
    ];
    for (const [status, fields] of steps) {
      const r = await submit(admin, `/admin/incidents/${id}`, `/admin/incidents/${id}/updates`, { status, deliver_notifications: 'on', ...fields });
      assert.equal(r.status, 303, `update ${status}`);
      await advanceActive(p, [admin], 76 * 60_000);
    }
    assert.deepEqual(
      listComponents(p.ctx.db).map((c) => c.status),
      ['operational', 'operational', 'operational', 'operational'],
    );
    const status = await request(p.app).get('/').expect(200);
    assert.match(status.text, /All Systems Operational/);
    assert.match(status.text, /Past incidents[\s\S]*Large-scale malicious attacks/);

    const page = await request(p.app).get(`/incidents/${id}`).expect(200);
    // Started 10:00, resolved 10:00 + 40 + 76 + 76 = 13:12.
    assert.match(page.text, /<dt>Duration<\/dt><dd class="resolved-after">3 h 12 min<\/dd>/);
    assert.equal((page.text.match(/[Rr]esolved after/g) ?? []).length, 0, 'said once, as the duration');
    const order = ['Services are back to normal', 'Filtering is in place', 'filtering is being deployed', 'very high traffic'].map((t) => page.text.indexOf(t));
    assert.ok(order.every((i) => i > 0));
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      order,
      'timeline newest first',
    );
    assert.match(page.text, /Affected components/);
    assert.match(page.text, /API: Major outage → Operational/);
  });

  it('lists past incidents on the history page, linking to each', async () => {
    const id = p.ctx.db.prepare('SELECT id FROM incidents').pluck().get() as string;
    const history = await request(p.app).get('/history').expect(200);
    assert.match(history.text, /November 2026/);
    assert.match(history.text, new RegExp(`href="/incidents/${id}"`));
    assert.match(history.text, /· Resolved after 3 h 12 min/);
    assert.doesNotMatch(history.text, /Resolved · resolved after/);
    // One page of history so far: the next is a 404 (no page is ever rendered on request), a bad number the first.
    await request(p.app).get('/history?page=2').expect(404);
    await request(p.app).get('/history?page=abc').expect(200);
  });

  it('edits and deletes an update and an incident, asking for confirmation first', async () => {
    const id = p.ctx.db.prepare('SELECT id FROM incidents').pluck().get() as string;
    const updateId = p.ctx.db.prepare("SELECT id FROM incident_updates WHERE incident_id = ? AND status = 'identified'").pluck().get(id) as string;
    const edit = await submit(admin, `/admin/incidents/${id}/updates/${updateId}/edit`, `/admin/incidents/${id}/updates/${updateId}/edit`, {
      body: 'Edited: the attack is identified.',
    });
    assert.equal(edit.status, 303);
    assert.match((await request(p.app).get(`/incidents/${id}`)).text, /Edited: the attack is identified/);

    const confirm = await admin.get(`/admin/incidents/${id}/updates/${updateId}/delete`).expect(200);
    assert.match(confirm.text, /cannot be undone/);
    await admin
      .post(`/admin/incidents/${id}/updates/${updateId}/delete`)
      .type('form')
      .send({ _csrf: csrfOf(confirm.text) })
      .expect(303);
    assert.doesNotMatch((await request(p.app).get(`/incidents/${id}`)).text, /Edited: the attack/);

    const confirmIncident = await admin.get(`/admin/incidents/${id}/delete`).expect(200);
    assert.match(confirmIncident.text, /Your password, to confirm/);
    const wrong = await admin
      .post(`/admin/incidents/${id}/delete`)
      .type('form')
      .send({ _csrf: csrfOf(confirmIncident.text), confirm_password: 'not the password' })
      .expect(422);
    assert.match(wrong.text, /That is not your password/);
    await admin.get(`/admin/incidents/${id}`).expect(200);
    await admin
      .post(`/admin/incidents/${id}/delete`)
      .type('form')
      .send({ _csrf: csrfOf(confirmIncident.text), confirm_password: 'a long enough password' })
      .expect(303);
    await request(p.app).get(`/incidents/${id}`).expect(404);
  });

  it('signs out, ending the session on the server', async () => {
    const dash = await admin.get('/admin').expect(200);
    await admin
      .post('/admin/logout')
      .type('form')
      .send({ _csrf: csrfOf(dash.text) })
      .expect(303);
    await admin
      .get('/admin')
      .expect(303)
      .expect('Location', /\/admin\/login/);
    assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM sessions').pluck().get(), 1, 'only the other sign-in remains');
  });
});
