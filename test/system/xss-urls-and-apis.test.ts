import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { Agent, TestPharos } from '../helpers/pharos.js';
import { assertInert, KINDS, PAYLOADS, startHostileWorld, t, type HostileWorld } from './xss-world.js';

/**
 * Hostile text in a URL is inert too, the Content-Security-Policy forbids inline scripts, and the JSON
 * APIs return hostile text unchanged, as data.
 */

describe('hostile text is rendered inert: URLs, the Content-Security-Policy and the JSON APIs', () => {
  let p: TestPharos;
  let admin: Agent;
  let api: HostileWorld['api'];
  let made: HostileWorld['made'];

  before(async () => {
    ({ p, admin, api, made } = await startHostileWorld());
  });
  after(() => p.close());

  it('keeps hostile text in the URL inert', async () => {
    const next = `/${PAYLOADS.svg}${PAYLOADS.script}`;
    const login = await request(p.app)
      .get(`/admin/login?next=${encodeURIComponent(next)}`)
      .expect(200);
    assertInert(login.text, 'the login form with a hostile next');
    const notFound = await request(p.app)
      .get(`/incidents/${encodeURIComponent(PAYLOADS.script)}`)
      .expect(404);
    assertInert(notFound.text, 'a 404 for a hostile incident id');
    const redirect = await request(p.app)
      .get(`/admin/${encodeURIComponent(PAYLOADS.svg)}`)
      .set('Accept', 'text/html')
      .expect(303);
    assertInert(redirect.text, 'the redirect to the login form');
  });

  it('forbids inline scripts through the Content-Security-Policy', async () => {
    for (const res of [await request(p.app).get('/'), await admin.get('/admin')]) {
      const csp = String(res.headers['content-security-policy'] ?? '');
      assert.match(csp, /script-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    }
  });

  it('returns the raw strings as data from the JSON APIs', async () => {
    for (const k of KINDS) {
      const m = made.get(k);
      assert.ok(m);
      const incident = await api('get', `/incidents/${m.incident}`)
        .expect(200)
        .expect('Content-Type', /^application\/json/);
      const body = incident.body as { name: string; incident_updates: { body: string }[]; components: { name: string; description: string }[] };
      assert.equal(body.name, t.incident(k));
      assert.deepEqual(
        body.incident_updates.map((u) => u.body),
        [t.updateBody(k), t.firstBody(k)],
      );
      assert.equal(body.components[0]?.name, t.component(k));
      assert.equal(body.components[0]?.description, t.componentDescription(k));
      const component = await api('get', `/components/${m.apiComponent}`).expect(200);
      assert.equal((component.body as { name: string }).name, t.apiComponent(k));
    }
    const summary = await request(p.app)
      .get('/api/v2/summary.json')
      .expect(200)
      .expect('Content-Type', /^application\/json/);
    assert.equal(summary.headers['x-content-type-options'], 'nosniff');
    const s = summary.body as { components: { name: string; description: string | null; group: boolean }[]; incidents: { name: string }[] };
    const names = s.components.map((c) => c.name);
    for (const k of KINDS) {
      assert.ok(names.includes(t.group(k)), `group ${k} in summary.json`);
      assert.ok(names.includes(t.component(k)), `component ${k} in summary.json`);
      assert.ok(
        s.components.some((c) => c.group && c.description === t.groupDescription(k)),
        `group description ${k}`,
      );
      assert.ok(
        s.incidents.some((i) => i.name === t.incident(k)),
        `incident ${k} in summary.json`,
      );
    }
  });
});
