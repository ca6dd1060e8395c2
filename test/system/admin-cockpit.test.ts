import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { scheduleMaintenance } from '../../server/domain/incidents/maintenance.js';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { addUser, signIn, startPharos, type Agent, type TestPharos } from '../helpers/pharos.js';

const system = { type: 'system' } as const;

/** The dashboard as the operator's cockpit during an attack, and a navigation that says where one is. */
describe('the admin cockpit and navigation', () => {
  let p: TestPharos;
  let ops: Agent;
  let id = '';
  let windowId = '';
  before(async () => {
    p = await startPharos();
    await addUser(p, 'ops@example.com', 'operator');
    p.clock.set('2026-11-30T09:00:00.000Z');
    id = createIncident(p.ctx, system, { name: 'Login flood', body: 'Investigating a flood of logins.' }).id;
    windowId = scheduleMaintenance(p.ctx, system, { name: 'Router swap', scheduled_for: '2026-12-02T02:00:00Z', scheduled_until: '2026-12-02T03:00:00Z' }).id;
    p.clock.set('2026-11-30T09:45:00.000Z');
    ops = await signIn(p, 'ops@example.com');
  });
  after(() => p.close());

  it('shows each open incident with how long subscribers have heard nothing, and one click to its next update', async () => {
    const page = (await ops.get('/admin').expect(200)).text;
    assert.match(page, /Last update 45 min ago: subscribers have heard nothing since/);
    assert.match(page, new RegExp(`<a class="button small" href="/admin/incidents/${id}#post-update">Post the next update \\(Identified\\)</a>`));
    assert.match(page, /<h2 id="mail-title">Mail<\/h2>/);
    assert.match(page, /Open to anyone/, 'the gate');
    const form = (await ops.get(`/admin/incidents/${id}`).expect(200)).text;
    assert.match(form, /<h2 id="post-update">/);
    assert.match(form, /<option value="identified" selected>/, 'the form offers the next status');
  });

  it('marks where the operator is: Dashboard on an incident, Maintenance on a window, never "New incident"', async () => {
    const current = (html: string) => [...html.matchAll(/<a href="([^"]+)" aria-current="page">([^<]+)<\/a>/g)].map((m) => m[2]);
    assert.deepEqual(current((await ops.get(`/admin/incidents/${id}`).expect(200)).text), ['Dashboard']);
    assert.deepEqual(current((await ops.get(`/admin/incidents/${windowId}`).expect(200)).text), ['Maintenance']);
    assert.deepEqual(current((await ops.get('/admin/incidents/new').expect(200)).text), ['Dashboard']);
    const nav = /<nav aria-label="Admin"[\s\S]*?<\/nav>/.exec((await ops.get('/admin').expect(200)).text)?.[0] ?? '';
    assert.match(nav, /<ul class="admin-nav__group" aria-label="During an incident">/);
    assert.doesNotMatch(nav, /Users|Settings/, "an operator is not offered the admins' pages");
  });
});
