import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { io as connect, type Socket } from 'socket.io-client';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident, patchIncident } from '../../server/domain/incidents/writes.js';
import type { IncidentUpdate } from '../../server/realtime/incident-rooms.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../../server/realtime/types.js';
import { startPharos, type TestPharos } from '../helpers/pharos.js';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;
const system = { type: 'system' } as const;

/** The live region of an incident page as served: the hash its script sends and the HTML it shows. */
async function served(p: TestPharos, id: string): Promise<{ hash: string; html: string; page: string }> {
  const page = await (await fetch(`${p.url}/incidents/${id}`)).text();
  const m = /<div id="incident" data-incident="([a-z0-9]+)" data-hash="([^"]+)">([\s\S]*)<\/div><!-- \/incident -->/.exec(page);
  assert.ok(m, 'the page has its live region');
  assert.equal(m[1], id);
  return { hash: m[2] ?? '', html: m[3] ?? '', page };
}

/** A viewer of one incident's page, as public/js/status.js connects from it. */
function incidentViewer(p: TestPharos, id: string, hash: string) {
  const socket: Client = connect(p.url, {
    transports: ['websocket'],
    forceNew: true,
    reconnectionDelay: 50,
    auth: (send) => send({ v: 2, incident: id, hashes: { incident: hash } }),
  });
  const got: IncidentUpdate[] = [];
  const pages: unknown[] = [];
  socket.on('incident', (u) => got.push(u));
  socket.on('page', (u) => pages.push(u));
  const until = async (test: (u: IncidentUpdate) => boolean, ms = 3000) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const found = got.find(test);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no incident update as expected within ${ms} ms: ${JSON.stringify(got.map((u) => ({ ...u, html: u.html?.slice(0, 60) })))}`);
  };
  return { socket, got, pages, until };
}

describe('the incident page is live', () => {
  let p: TestPharos;
  let api = '';
  let id = '';
  let other = '';
  const sockets: Client[] = [];

  before(async () => {
    p = await startPharos({ listen: true });
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    id = createIncident(p.ctx, system, { name: 'Login failures', body: 'We are looking into it.', components: { [api]: 'partial_outage' } }).id;
    other = createIncident(p.ctx, system, { name: 'Unrelated', body: 'Elsewhere.' }).id;
  });
  after(async () => {
    for (const s of sockets) s.close();
    await p.close();
  });

  it('a page that is current gets no HTML on connecting; each update then replaces its region with what a reload shows', async () => {
    const first = await served(p, id);
    const v = incidentViewer(p, id, first.hash);
    sockets.push(v.socket);
    const hello = await v.until(() => true);
    assert.equal(hello.hash, first.hash);
    assert.equal(hello.html, undefined, 'nothing to replace');
    assert.equal(hello.title, 'Login failures');

    patchIncident(p.ctx, system, id, { status: 'identified', body: 'A bad certificate on the login service.', name: 'Login failures on the web app' });
    const next = await v.until((u) => u.hash !== first.hash);
    const now = await served(p, id);
    assert.equal(next.hash, now.hash);
    assert.equal(next.html, now.html, 'the region as a fresh page shows it');
    assert.match(next.html ?? '', /A bad certificate on the login service/);
    assert.match(next.html ?? '', /Identified/);
    assert.equal(next.title, 'Login failures on the web app');
    assert.deepEqual(v.pages, [], 'an incident page is never sent the status page');
  });

  it('a page loaded before a change is sent the current region when it connects', async () => {
    const old = await served(p, id);
    patchIncident(p.ctx, system, id, { status: 'monitoring', body: 'A fix is out.' });
    const v = incidentViewer(p, id, old.hash);
    sockets.push(v.socket);
    const hello = await v.until(() => true);
    assert.match(hello.html ?? '', /A fix is out/);
    assert.equal(hello.hash, (await served(p, id)).hash);
  });

  it("viewers of another incident, or of the status page, are not sent this one's changes", async () => {
    const v = incidentViewer(p, other, (await served(p, other)).hash);
    sockets.push(v.socket);
    await v.until(() => true);
    const statusPage: Client = connect(p.url, { transports: ['websocket'], forceNew: true, auth: { v: 2, hashes: {} } });
    sockets.push(statusPage);
    const events: string[] = [];
    statusPage.on('incident', () => events.push('incident'));
    await new Promise<void>((resolve) => statusPage.once('page', () => resolve()));
    patchIncident(p.ctx, system, id, { status: 'resolved', body: 'All good.' });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(v.got.length, 1, 'only its own hello');
    assert.deepEqual(events, []);
  });

  it('a handshake naming no incident, a malformed one or one that does not exist changes nothing and breaks nothing', async () => {
    for (const [auth, expected] of [
      // Not an incident id: a status-page viewer like any other.
      [{ incident: '../../etc' }, 'page'],
      [{ incident: 'x'.repeat(100) }, 'page'],
      [{ incident: 42 }, 'page'],
      // Well-formed but unknown: it waits in its own room, sent nothing (it may be created later).
      [{ incident: 'nosuchincident1' }, 'connected'],
    ] as const) {
      const s: Client = connect(p.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth });
      sockets.push(s);
      const first = await new Promise<string>((resolve) => {
        s.once('page', () => resolve('page'));
        s.once('incident', () => resolve('incident'));
        s.once('connect_error', () => resolve('refused'));
        // What the server sends on joining follows the connection at once; the handshake itself may wait on a loaded machine.
        s.once('connect', () => setTimeout(() => resolve('connected'), 500));
        setTimeout(() => resolve('nothing'), 15_000);
      });
      assert.equal(first, expected, JSON.stringify(auth));
    }
  });
});
