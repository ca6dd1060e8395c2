import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { io, type Socket as Viewer } from 'socket.io-client';
import type { PageUpdate } from '../../server/snapshot/snapshot.js';
import type { ClientToServerEvents, RetryHint, ServerToClientEvents } from '../../server/realtime/types.js';
import { rawWebsocket } from '../helpers/connections.js';
import { freePort, PharosProcess } from '../helpers/process.js';

/**
 * A restart on a real process: each viewer is told how widely to spread its return (with its first state,
 * and again just before the server stops), and a client that never answers the websocket's close frame
 * does not hold the shutdown.
 */
describe('a restart: viewers told how to come back, nothing held', () => {
  let dataDir: string;
  let pharos: PharosProcess;
  let base = '';
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pharos-restart-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    pharos = new PharosProcess({ DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: base, LOG_LEVEL: 'info' });
    await pharos.ready(`${base}/api/v2/status.json`, 60_000);
  });
  after(async () => {
    await pharos.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('tells a viewer the spread with its first state and again before SIGTERM closes it; a frozen client does not hold the exit', async () => {
    const viewer: Viewer<ServerToClientEvents, ClientToServerEvents> = io(base, { transports: ['websocket'], forceNew: true, reconnection: false });
    const first = await new Promise<PageUpdate & { retry?: RetryHint }>((resolve) => viewer.once('page', resolve));
    assert.deepEqual(first.retry, { spread: 1000 });
    const told: string[] = [];
    viewer.on('retry', (hint) => told.push(`retry ${hint.spread}`));
    viewer.on('disconnect', (reason) => told.push(`disconnect ${reason}`));

    // A client that joined and then stops reading: it will never answer the server's close frame.
    const frozen = rawWebsocket(base, '127.0.0.2');
    assert.equal(await frozen.outcome, 'open');
    frozen.ws.send('40{"v":2}');
    await new Promise((r) => setTimeout(r, 300));
    (frozen.ws as unknown as { _socket: Socket })._socket.pause();

    pharos.child.kill('SIGTERM');
    const exit = await pharos.exited;
    // Exited by itself (not the 12 s "shutdown took too long" exit, code 1).
    assert.deepEqual(exit, { code: 0, signal: null }, pharos.log.slice(-2000));
    assert.doesNotMatch(pharos.log, /shutdown took too long/);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(told, ['retry 1000', 'disconnect transport close']);
    viewer.close();
    frozen.ws.terminate();
  });
});
