import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { io as connect, type Socket } from 'socket.io-client';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident, patchIncident } from '../../server/domain/incidents/writes.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../../server/realtime/types.js';
import type { PageUpdate } from '../../server/snapshot/snapshot.js';
import { startPharos, type TestPharos } from '../helpers/pharos.js';
import { viewer } from '../helpers/viewer.js';

const system = { type: 'system' } as const;

/** The first 'page' event a raw client gets when it connects with this handshake auth. */
async function firstEvent(url: string, auth: unknown): Promise<PageUpdate> {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = connect(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: auth as Record<string, unknown>,
  });
  try {
    return await new Promise<PageUpdate>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no page event within 3 s')), 3000);
      socket.once('page', (u) => (clearTimeout(timer), resolve(u)));
    });
  } finally {
    socket.close();
  }
}

/** What a viewer is sent: only what its page lacks, so that 10,000 viewers get small messages. */
describe('live payloads carry only what changed', () => {
  let p: TestPharos;
  let api: string;
  let web: string;
  before(async () => {
    p = await startPharos({ listen: true });
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    web = createComponent(p.ctx, system, { name: 'Web app' }).id;
  });
  after(() => p.close());

  it("a component's status change sends its row alone, with the regions that changed", async () => {
    const v = viewer(p.url);
    const first = await v.next(() => true);
    assert.match(first.html.components, /Web app/);
    const incident = createIncident(p.ctx, system, {
      name: 'API outage',
      status: 'investigating',
      body: 'Requests fail.',
      components: { [api]: 'major_outage' },
    });
    const update = await v.next((u) => u.version > first.version);
    assert.deepEqual(Object.keys(update.update.rows ?? {}), [api], 'only the API row');
    assert.equal(update.update.html.components, undefined, 'not the whole components region');
    assert.equal(update.update.html.subscribe, undefined, 'nor regions that did not change');
    assert.match(update.update.html.banner ?? '', /Major Service Outage/);
    assert.match(update.update.html.incidents ?? '', /API outage/);
    // The page as composed: the API row changed in place, the other rows as they were.
    const row = (html: string, id: string) =>
      /id="component-[^"]+"[\s\S]*?(?=<li class="component |<\/ul>)/g.exec(html.slice(html.indexOf(`id="component-${id}"`)))?.[0] ?? '';
    assert.match(row(update.html.components, api), /Major outage/);
    assert.match(row(update.html.components, web), /Operational/);
    assert.equal(update.html.components, p.ctx.snapshot.current().live.html.components, 'the composed region is what a fresh page shows');
    const size = JSON.stringify(update.update).length;
    assert.ok(size < JSON.stringify(p.ctx.snapshot.current().live.html).length, `${size} bytes sent`);

    patchIncident(p.ctx, system, incident.id, { status: 'resolved', body: 'Fixed.' });
    const resolved = await v.next((u) => u.version > update.version);
    assert.equal(resolved.html.components, p.ctx.snapshot.current().live.html.components);
    assert.match(resolved.update.html.past ?? '', /API outage/);
    v.socket.close();
  });

  it('time passing changes no row: minutes later, a change to one component still sends that row alone', async () => {
    const v = viewer(p.url);
    const first = await v.next(() => true);
    p.clock.advance(60_000);
    const slow = createIncident(p.ctx, system, { name: 'Web app slow', status: 'investigating', components: { [web]: 'degraded_performance' } });
    const degraded = await v.next((u) => u.version > first.version);
    assert.match(degraded.html.components, /uptime · 90 days/, 'every row has its figure');
    // Today's bar counts minutes as they pass; what the rows show stays the same.
    p.clock.advance(17 * 60_000);
    patchIncident(p.ctx, system, slow.id, { status: 'resolved' });
    const resolved = await v.next((u) => u.version > degraded.version);
    assert.deepEqual(Object.keys(resolved.update.rows ?? {}), [web]);
    v.socket.close();
  });

  it('a viewer connecting while a change is being committed gets one consistent state, never a patch of an older one', async () => {
    const io = p.running?.io;
    assert.ok(io);
    let once = true;
    // A change committed during the handshake: the connection handler's current() rebuilds and broadcasts it.
    io.use((_socket, next) => {
      if (once) {
        once = false;
        createComponent(p.ctx, system, { name: 'Added during a handshake' });
      }
      next();
    });
    const v = viewer(p.url);
    const first = await v.next(() => true);
    await new Promise((r) => setTimeout(r, 200));
    assert.match(first.html.components, /Added during a handshake/);
    assert.deepEqual(v.received.at(-1)?.html, p.ctx.snapshot.current().live.html);
    assert.equal(v.resyncs(), 0);
    v.socket.close();
  });

  it('a client that only replaces whole regions (a script from before rows) gets the whole components region', async () => {
    const first = await firstEvent(p.url, {});
    assert.ok(first.html.components);
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = connect(p.url, { transports: ['websocket'], forceNew: true, reconnection: false });
    try {
      const events: PageUpdate[] = [];
      socket.on('page', (u) => events.push(u));
      await new Promise((r) => socket.once('page', r));
      createIncident(p.ctx, system, { name: 'Web app down', status: 'investigating', components: { [web]: 'major_outage' } });
      const until = Date.now() + 3000;
      while (events.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      const update = events[1];
      assert.ok(update, 'the change arrived');
      assert.equal(update.rows, undefined);
      assert.equal(update.html.components, p.ctx.snapshot.current().live.html.components);
    } finally {
      socket.close();
    }
  });

  it('row patches name the version of the components region they apply to', async () => {
    const v = viewer(p.url);
    await v.next(() => true);
    const before = p.ctx.snapshot.current().live.hashes.components;
    createIncident(p.ctx, system, { name: 'API slow', status: 'investigating', components: { [api]: 'degraded_performance' } });
    const update = await v.next((u) => u.html.incidents.includes('API slow'));
    assert.ok(update.update.rows, 'rows were sent');
    assert.equal(update.update.base, before);
    assert.notEqual(update.update.hashes.components, before);
    assert.equal(v.resyncs(), 0);
    v.socket.close();
  });

  it('a read right after a commit sees it (the rebuild is deferred, never skipped)', () => {
    createComponent(p.ctx, system, { name: 'Read right after' });
    assert.match(p.ctx.snapshot.current().live.html.components, /Read right after/);
  });

  it('a page that is current gets no HTML when it connects; a page with one old region gets that region', async () => {
    const live = p.ctx.snapshot.current().live;
    const current = await firstEvent(p.url, { hashes: live.hashes });
    assert.deepEqual(current.html, {});
    assert.equal(current.version, live.version);
    assert.deepEqual(current.hashes, live.hashes);
    const oneOld = await firstEvent(p.url, { hashes: { ...live.hashes, banner: 'old' } });
    assert.deepEqual(Object.keys(oneOld.html), ['banner']);
  });

  it('handshakes that say nothing usable get the whole state', async () => {
    const live = p.ctx.snapshot.current().live;
    for (const auth of [{}, { hashes: 'x' }, { hashes: null }, { hashes: { banner: 5, components: 'x'.repeat(100) } }, { hashes: [live.hashes.banner] }]) {
      const u = await firstEvent(p.url, auth);
      assert.equal(Object.keys(u.html).length, 7, JSON.stringify(auth).slice(0, 80));
      assert.equal(u.html.components, live.html.components);
    }
  });

  it('a viewer reconnecting after changes gets the regions that changed while it was away, and its page is current', async () => {
    const v = viewer(p.url);
    const first = await v.next(() => true);
    v.socket.disconnect();
    createComponent(p.ctx, system, { name: 'Added while away' });
    v.socket.connect();
    const back = await v.next((u) => u.version > first.version);
    assert.ok(back.update.html.components, 'the components region, whose layout changed');
    assert.equal(back.update.html.subscribe !== undefined, back.html.subscribe !== first.html.subscribe, 'subscribe only if it changed');
    assert.deepEqual(back.html, p.ctx.snapshot.current().live.html);
    v.socket.close();
  });
});
