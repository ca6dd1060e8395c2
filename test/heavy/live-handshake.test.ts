import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcp, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { io } from 'socket.io-client';
import { fetchFrom, rawWebsocket, type RawSocket } from '../helpers/connections.js';
import { freePort, PharosProcess, sleep } from '../helpers/process.js';

/**
 * LIVE_MAX_PER_ADDRESS at the Engine.IO handshake, spoken directly (the `ws` package, no socket.io
 * client): websockets past the cap are refused before they open, a burst in parallel included; a
 * connection that joins no namespace is closed within seconds and its place given back; the admin's
 * server opens nothing without a session.
 */

const outcomes = async (all: RawSocket[]) => Promise.all(all.map((s) => s.outcome));
const count = (list: unknown[], value: unknown) => list.filter((x) => x === value).length;
const closeAll = (all: RawSocket[]) => all.forEach((s) => s.ws.terminate());

/** Resolves with the next message a raw Engine.IO websocket receives. */
const nextMessage = (s: RawSocket) => new Promise<string>((resolve) => s.ws.once('message', (data: Buffer) => resolve(data.toString())));

describe('live connections counted at the Engine.IO handshake', () => {
  let dataDir: string;
  let pharos: PharosProcess;
  let base = '';
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pharos-handshake-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    pharos = new PharosProcess({ DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: base, LIVE_MAX_PER_ADDRESS: '20', LOG_LEVEL: 'info' });
    await pharos.ready(`${base}/api/v2/status.json`, 60_000);
  });
  after(async () => {
    await pharos.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('opens 20 of 50 raw websockets sent at once from one address, refuses the others at the handshake, and still takes a viewer from another', async () => {
    const burst = Array.from({ length: 50 }, () => rawWebsocket(base, '127.0.0.2'));
    const got = await outcomes(burst);
    assert.equal(count(got, 'open'), 20, JSON.stringify(got));
    assert.equal(count(got, 400), 30);
    // Long-polling (one process takes it) is refused at its handshake too.
    const polling = await fetchFrom(`${base}/socket.io/?EIO=4&transport=polling`, '127.0.0.2');
    assert.ok('status' in polling && polling.status === 403, JSON.stringify(polling));
    // A viewer elsewhere connects and gets the page.
    const viewer = io(base, { transports: ['websocket'], forceNew: true, reconnection: false });
    await new Promise<void>((resolve, reject) => {
      viewer.once('page', () => resolve());
      viewer.once('connect_error', reject);
    });
    viewer.close();
    closeAll(burst);
  });

  it('closes the connections that join no namespace within seconds, and gives their places back', async () => {
    const idle = Array.from({ length: 20 }, () => rawWebsocket(base, '127.0.0.3'));
    assert.equal(count(await outcomes(idle), 'open'), 20);
    // Within 10 s; socket.io's default would wait 45 s.
    await Promise.race([Promise.all(idle.map((s) => s.closed)), sleep(20_000)]);
    assert.equal(idle.filter((s) => s.isClosed()).length, 20);
    const again = Array.from({ length: 20 }, () => rawWebsocket(base, '127.0.0.3'));
    assert.equal(count(await outcomes(again), 'open'), 20);
    closeAll(again);
  });

  it('gives a place back when the websocket handshake fails after the count (a bad key), and only once', async () => {
    for (let i = 0; i < 25; i++) {
      const bad = tcp({ port: Number(new URL(base).port), host: '127.0.0.1', localAddress: '127.0.0.4' });
      bad.on('error', () => undefined);
      bad.write(
        'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: bad\r\n\r\n',
      );
      bad.resume();
      await new Promise((resolve) => bad.once('close', resolve));
    }
    const good = Array.from({ length: 30 }, () => rawWebsocket(base, '127.0.0.4'));
    const got = await outcomes(good);
    assert.equal(count(got, 'open'), 20, JSON.stringify(got));
    closeAll(good);
  });

  it('lets a connection hold one namespace socket, even when it asks for two at once', async () => {
    const raw = rawWebsocket(base, '127.0.0.5');
    const opened = nextMessage(raw);
    assert.equal(await raw.outcome, 'open');
    assert.match(await opened, /^0\{/);
    const replies: string[] = [];
    raw.ws.on('message', (data: Buffer) => replies.push(data.toString()));
    // Two CONNECTs in one TCP segment: socket.io alone refuses a second CONNECT only once the first has joined.
    const tcpSocket = (raw.ws as unknown as { _socket: Socket })._socket;
    tcpSocket.cork();
    raw.ws.send('40{"v":2}');
    raw.ws.send('40{"v":2}');
    tcpSocket.uncork();
    await sleep(500);
    const shown = replies.map((r) => r.slice(0, 60)).join('\n');
    assert.equal(replies.filter((r) => r.startsWith('40{"sid"')).length, 1, shown);
    assert.equal(replies.filter((r) => r.startsWith('42["page"')).length, 1, shown);
    raw.ws.terminate();
  });

  it("opens no websocket on the admin's server without a session", async () => {
    const all = Array.from({ length: 5 }, () => rawWebsocket(base, '127.0.0.6', '/admin/live/'));
    assert.deepEqual(await outcomes(all), [400, 400, 400, 400, 400]);
  });
});
