import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { io as connect, type Socket } from 'socket.io-client';
import { createComponent, updateComponent } from '../../server/domain/page/components.js';
import type { ClientToServerEvents, ServerToClientEvents } from '../../server/realtime/types.js';
import type { LiveState, PageUpdate } from '../../server/snapshot/snapshot.js';
import { startPharos, type TestPharos } from '../helpers/pharos.js';

const system = { type: 'system' } as const;

/** The first 'page' event a client gets when it connects with this handshake auth. */
async function firstEvent(url: string, auth: Record<string, unknown>): Promise<PageUpdate> {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth });
  try {
    return await new Promise<PageUpdate>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no page event within 3 s')), 3000);
      socket.once('page', (u) => (clearTimeout(timer), resolve(u)));
    });
  } finally {
    socket.close();
  }
}

/** What public/js/status.js sends for a page showing this state: its hashes, its layout, 8 characters of each row's hash in order. */
function handshakeOf(live: LiveState): Record<string, unknown> {
  const region = live.html.components;
  const rows = [...region.matchAll(/<li class="component [^>]*data-hash="([^"]+)"/g)].map((m) => (m[1] ?? '').slice(0, 8)).join('');
  return { v: 2, hashes: live.hashes, layout: /<ul class="components" data-layout="([^"]+)"/.exec(region)?.[1], rows };
}

/**
 * A page reconnecting (after a restart, during an incident) whose components region differs only in
 * some rows gets those rows, not the whole region again.
 */
describe('a reconnecting page is sent only the component rows it lacks', () => {
  let p: TestPharos;
  let api: string;
  before(async () => {
    p = await startPharos({ listen: true });
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    createComponent(p.ctx, system, { name: 'Web app' });
    for (let i = 0; i < 20; i++) createComponent(p.ctx, system, { name: `Region ${i}` });
  });
  after(() => p.close());

  it('gets the one row that changed while it was away, with its own region as base; the whole region if it names another layout or its rows wrongly', async () => {
    const before = p.ctx.snapshot.current().live;
    const auth = handshakeOf(before);
    updateComponent(p.ctx, system, api, { status: 'partial_outage' });
    const now = p.ctx.snapshot.current().live;
    assert.notEqual(now.hashes.components, before.hashes.components);
    const update = await firstEvent(p.url, auth);
    assert.equal(update.html.components, undefined, 'not the whole components region');
    assert.deepEqual(Object.keys(update.rows ?? {}), [api]);
    assert.equal(update.rows?.[api], now.rows[api]);
    assert.equal(update.base, before.hashes.components);
    assert.equal(update.hashes.components, now.hashes.components);
    assert.ok(JSON.stringify(update).length < now.html.components.length / 4, `${JSON.stringify(update).length} bytes`);

    // A page of another layout, or naming its rows wrongly, gets the whole region.
    for (const wrong of [
      { ...auth, layout: 'another' },
      { ...auth, rows: String(auth.rows).slice(8) },
      { ...auth, rows: 42 },
      { ...auth, v: 1 },
    ]) {
      const update = await firstEvent(p.url, wrong);
      assert.equal(update.html.components, now.html.components, JSON.stringify(wrong).slice(0, 80));
      assert.equal(update.rows, undefined);
    }
  });
});
