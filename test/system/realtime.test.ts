import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident, patchIncident } from '../../server/domain/incidents/writes.js';
import { addApiKey, startPharos, type TestPharos } from '../helpers/pharos.js';
import { viewer } from '../helpers/viewer.js';

const system = { type: 'system' } as const;

describe('live updates over socket.io', () => {
  let p: TestPharos;
  before(async () => {
    p = await startPharos({ listen: true });
  });
  after(() => p.close());

  it('sends the current state on connection, then each committed change once', async () => {
    const api = createComponent(p.ctx, system, { name: 'API' });
    const v = viewer(p.url);
    const first = await v.next(() => true);
    assert.equal(first.status.indicator, 'none');
    assert.match(first.html.components, />API</);

    const before = v.received.length;
    const t0 = Date.now();
    const incident = createIncident(p.ctx, system, {
      name: 'API outage',
      status: 'investigating',
      body: 'Requests fail.',
      components: { [api.id]: 'major_outage' },
    });
    const update = await v.next((u) => u.version > first.version, 1000);
    assert.ok(Date.now() - t0 < 1000, 'delivered within a second');
    assert.equal(update.status.description, 'Major Service Outage');
    assert.match(update.html.banner, /Major Service Outage/);
    assert.match(update.html.incidents, /API outage/);
    assert.match(update.html.incidents, /Requests fail\./);
    assert.match(update.html.components, /Major outage/);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(v.received.length, before + 1, 'one event per change');

    patchIncident(p.ctx, system, incident.id, { status: 'resolved', body: 'Fixed.' });
    const resolved = await v.next((u) => u.version > update.version);
    assert.equal(resolved.status.indicator, 'none');
    assert.match(resolved.html.past, /API outage/);
    v.socket.close();
  });

  it('delivers a change posted through the management API', async () => {
    const key = addApiKey(p);
    const v = viewer(p.url);
    const first = await v.next(() => true);
    const res = await fetch(`${p.url}/api/v1/pages/${p.ctx.pageId}/incidents`, {
      method: 'POST',
      headers: { Authorization: `OAuth ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ incident: { name: 'Login slow', status: 'identified', impact_override: 'minor' } }),
    });
    assert.equal(res.status, 201);
    const update = await v.next((u) => u.version > first.version);
    assert.match(update.html.incidents, /Login slow/);
    assert.equal(update.status.indicator, 'minor');
    v.socket.close();
  });

  it('works over HTTP long-polling when websockets are blocked', async () => {
    const v = viewer(p.url, ['polling']);
    const first = await v.next(() => true);
    createComponent(p.ctx, system, { name: 'Polling-visible component' });
    const update = await v.next((u) => u.version > first.version);
    assert.match(update.html.components, /Polling-visible component/);
    v.socket.close();
  });

  it('gives a client that reconnects the current state, including changes made while it was away', async () => {
    const v = viewer(p.url);
    const first = await v.next(() => true);
    v.socket.disconnect();
    createComponent(p.ctx, system, { name: 'Added while away', status: 'partial_outage' });
    v.socket.connect();
    const caughtUp = await v.next((u) => u.version > first.version);
    assert.match(caughtUp.html.components, /Added while away/);
    v.socket.close();
  });

  it('brings viewers back to the current state after a server restart', async () => {
    const v = viewer(p.url);
    const first = await v.next(() => true);
    const port = p.running?.port ?? 0;
    await p.stopServer();
    // A change lands while the server is down (another process, or a restore); the restarted server has it.
    createComponent(p.ctx, system, { name: 'Changed during restart', status: 'degraded_performance' });
    await p.listen(port);
    const back = await v.next((u) => u.version > first.version && /Changed during restart/.test(u.html.components), 5000);
    assert.match(back.html.components, /Degraded performance/);
    v.socket.close();
  });
});
