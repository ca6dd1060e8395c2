import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { TestPharos } from '../helpers/pharos.js';
import { viewer } from '../helpers/viewer.js';
import { assertInert, assertPage, assertShown, EXTRA_NAME, KINDS, PAYLOADS, startHostileWorld, t, type HostileWorld } from './xss-world.js';

/**
 * Hostile text typed by an operator (or sent by automation) is shown as text everywhere it appears on
 * the public side: on the status page, an incident's page, the history and the live fragments.
 */

describe('hostile text is rendered inert: the public pages and the live fragments', () => {
  let p: TestPharos;
  let api: HostileWorld['api'];
  let made: HostileWorld['made'];
  let each: HostileWorld['each'];
  let extraIncident: string;

  before(async () => {
    ({ p, api, made, each, extraIncident } = await startHostileWorld());
  });
  after(() => p.close());

  it('stored every hostile string as typed', () => {
    for (const k of KINDS) {
      const m = made.get(k);
      assert.ok(m);
      assert.equal(p.ctx.db.prepare('SELECT name FROM incidents WHERE id = ?').pluck().get(m.incident), t.incident(k));
      assert.equal(p.ctx.db.prepare('SELECT description FROM components WHERE id = ?').pluck().get(m.component), t.componentDescription(k));
    }
  });

  it('shows the status page with every name as text', async () => {
    const res = await request(p.app).get('/').expect(200);
    assertPage(res.text, '/', [
      ...each((k) => [t.group(k), t.component(k), t.componentDescription(k), t.apiComponent(k), t.apiComponentDescription(k)]),
      ...each((k) => [t.incident(k), t.updateBody(k), t.apiIncident(k)]),
      EXTRA_NAME,
    ]);
    assert.match(res.text, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  });

  it('shows each incident page with its name, updates and components as text', async () => {
    for (const k of KINDS) {
      const m = made.get(k);
      assert.ok(m);
      const own = await request(p.app).get(`/incidents/${m.incident}`).expect(200);
      assertPage(own.text, `/incidents/${m.incident} (${k})`, [t.incident(k), t.firstBody(k), t.updateBody(k), t.component(k), t.componentDescription(k)]);
      // Resolved: its components by name only (the status page above shows their descriptions).
      const viaApi = await request(p.app).get(`/incidents/${m.apiIncident}`).expect(200);
      assertPage(viaApi.text, `/incidents/${m.apiIncident} (${k}, API)`, [t.apiIncident(k), t.apiBody(k), t.apiResolvedBody(k), t.apiComponent(k)]);
    }
    const extra = await request(p.app).get(`/incidents/${extraIncident}`).expect(200);
    assertPage(extra.text, `/incidents/${extraIncident} (Markdown links)`, [EXTRA_NAME, '[a](JaVaScRiPt:alert(1))', '[c](vbscript:msgbox(1))']);
  });

  it('shows the history with every incident name as text', async () => {
    const res = await request(p.app).get('/history').expect(200);
    assertPage(res.text, '/history', [...each((k) => [t.incident(k), t.apiIncident(k)]), EXTRA_NAME]);
  });

  it('sends live fragments with every name as text, on connection and after a change', async () => {
    const v = viewer(p.url);
    try {
      const first = await v.next(() => true);
      const { banner, components, incidents, past } = first.html;
      assertInert(banner, 'live banner');
      assertPage(
        components,
        'live components',
        each((k) => [t.group(k), t.component(k), t.componentDescription(k), t.apiComponent(k)]),
      );
      assertPage(incidents, 'live incidents', [...each((k) => [t.incident(k), t.updateBody(k)]), EXTRA_NAME]);
      assertPage(
        past,
        'live past incidents',
        each((k) => [t.apiIncident(k)]),
      );
      assertInert(first.title, 'live title');

      const live = `L-live ${PAYLOADS.svg}`;
      const description = Object.values(PAYLOADS).join(' ');
      const changed = v.next((u) => u.version > first.version && u.html.components.includes('L-live'));
      await api('post', '/components')
        .send({ component: { name: live, description, status: 'major_outage' } })
        .expect(201);
      const next = await changed;
      for (const [region, html] of Object.entries(next.update.html)) assertInert(html, `live ${region} after a change`);
      for (const [id, row] of Object.entries(next.update.rows ?? {})) assertInert(row, `live row ${id} after a change`);
      assertShown(next.html.components, live, 'live components after a change');
      assertShown(next.html.components, description, 'live components after a change');
    } finally {
      v.socket.disconnect();
    }
  });
});
