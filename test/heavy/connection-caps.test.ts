import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../server/config.js';
import { createContext } from '../../server/compose.js';
import { createLog } from '../../server/log.js';
import { fetchFrom, hold, holdMany, stillOpen, type Held } from '../helpers/connections.js';
import { freePort, PharosProcess, sleep } from '../helpers/process.js';
import { TestRedis } from '../helpers/redis.js';
import { runTs } from '../helpers/spawn.js';

/**
 * MAX_CONNECTIONS_PER_ADDRESS, the total under the descriptor limit and the headers timeout, on real
 * processes and raw sockets from distinct 127.x addresses: one process, two HTTP workers, an edge.
 */

const ATTACKER = '127.0.0.2';
/** What a primary signs its publications to Redis with, and its edges check. */
const SECRET = 'a replication secret of at least 32 characters';
const VIEWER = '127.0.0.3';

async function startPharos(env: Record<string, string>, opts: { openFiles?: number } = {}) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const pharos = new PharosProcess({ PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: base, LOG_LEVEL: 'info', ...env }, opts);
  await pharos.ready(`${base}/api/v2/status.json`, 60_000);
  return { pharos, base, port };
}

/** Waits (at most `ms`) until every one of `all` is closed; returns how many are still open then. */
async function openAfter(all: Held[], ms: number): Promise<number> {
  const until = Date.now() + ms;
  while (stillOpen(all) > 0 && Date.now() < until) await sleep(200);
  return stillOpen(all);
}

const release = (all: Held[]) => all.forEach((h) => h.socket.destroy());

describe('connection caps: one process', () => {
  let dataDir: string;
  let pharos: PharosProcess;
  let base = '';
  let port = 0;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pharos-caps-'));
    ({ pharos, base, port } = await startPharos({ DATA_DIR: dataDir, MAX_CONNECTIONS_PER_ADDRESS: '20', TRUST_PROXY: '127.0.0.5' }));
  });
  after(async () => {
    await pharos.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('holds 20 connections from one address, closes the rest as they are accepted, serves another address meanwhile, exempts a trusted proxy', async () => {
    const attacker = await holdMany(port, ATTACKER, 50);
    assert.equal(stillOpen(attacker), 20);
    const page = await fetchFrom(`${base}/`, VIEWER);
    assert.ok('status' in page && page.status === 200, JSON.stringify(page).slice(0, 200));
    // A place given back is a place taken again.
    release(attacker.filter((h) => !h.closed).slice(0, 5));
    await sleep(200);
    const again = await holdMany(port, ATTACKER, 10);
    assert.equal(stillOpen(again), 5);
    // TRUST_PROXY's addresses are exempt: behind a proxy every connection is the proxy's.
    const proxy = await holdMany(port, '127.0.0.5', 50);
    assert.equal(stillOpen(proxy), 50);
    release([...attacker, ...again, ...proxy]);
  });

  it('closes a half-sent request and a connection that says nothing within seconds, and keeps an idle keep-alive connection', async () => {
    const half = await hold(port, '127.0.0.4');
    half.socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    const silent = await hold(port, '127.0.0.4');
    const keptAlive = await hold(port, '127.0.0.4');
    keptAlive.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    // Node's defaults: 60 s for the headers (checked every 30 s), forever for a connection that says nothing.
    assert.equal(await openAfter([half, silent], 25_000), 0);
    assert.equal(keptAlive.closed, false);
    release([keptAlive]);
  });

  it('logs refusals in a few lines, not one per connection', () => {
    const lines = pharos.log.split('\n').filter((l) => l.includes('connections refused'));
    assert.ok(lines.length >= 1 && lines.length <= 3, `${lines.length} lines:\n${lines.join('\n')}`);
    assert.match(lines[0] ?? '', /"per-address":3[05]/);
    assert.match(lines[0] ?? '', /"127\.0\.0\.2":3[05]/);
  });
});

describe('connection caps: WEB_CONCURRENCY=2, each worker its share', () => {
  let dataDir: string;
  let pharos: PharosProcess;
  let base = '';
  let port = 0;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pharos-caps-cluster-'));
    ({ pharos, base, port } = await startPharos({ DATA_DIR: dataDir, MAX_CONNECTIONS_PER_ADDRESS: '20', WEB_CONCURRENCY: '2' }));
  });
  after(async () => {
    await pharos.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('holds at most 20 connections from one address across the workers, and serves another address meanwhile', async () => {
    const attacker = await holdMany(port, ATTACKER, 60);
    const held = stillOpen(attacker);
    // Round robin deals about half to each worker, which keeps 10: 20, or a little less if the deal was uneven.
    assert.ok(held <= 20 && held >= 10, `${held} held`);
    for (let i = 0; i < 4; i++) {
      const page = await fetchFrom(`${base}/api/v2/status.json`, VIEWER);
      assert.ok('status' in page && page.status === 200, JSON.stringify(page).slice(0, 200));
    }
    release(attacker);
  });
});

describe('connection caps: an edge', () => {
  const redis = new TestRedis();
  let root: string;
  let primary: PharosProcess | undefined;
  let edge: PharosProcess | undefined;
  let edgeBase = '';
  let edgePort = 0;
  before(async () => {
    await redis.start();
    root = mkdtempSync(join(tmpdir(), 'pharos-caps-edge-'));
    const dataDir = join(root, 'primary');
    createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), { log: createLog('silent') }).db.close();
    const started = await startPharos({ DATA_DIR: dataDir, REDIS_URL: redis.url, REPLICATION_SECRET: SECRET });
    primary = started.pharos;
    const primaryUrl = started.base;
    ({
      pharos: edge,
      base: edgeBase,
      port: edgePort,
    } = await startPharos({
      PHAROS_ROLE: 'edge',
      REDIS_URL: redis.url,
      REPLICATION_SECRET: SECRET,
      PRIMARY_URL: primaryUrl,
      MAX_CONNECTIONS_PER_ADDRESS: '20',
    }));
  });
  after(async () => {
    await edge?.kill('SIGTERM');
    await primary?.kill('SIGTERM');
    await redis.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('holds 20 connections from one address and serves another address meanwhile', async () => {
    const attacker = await holdMany(edgePort, ATTACKER, 50);
    assert.equal(stillOpen(attacker), 20);
    const page = await fetchFrom(`${edgeBase}/api/v2/status.json`, VIEWER);
    assert.ok('status' in page && page.status === 200, JSON.stringify(page).slice(0, 200));
    release(attacker);
  });
});

describe('connection caps: the public side full, operators still served', () => {
  let dataDir: string;
  let pharos: PharosProcess;
  let base = '';
  let port = 0;
  let key = '';
  let pageId = '';
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pharos-caps-full-'));
    const seed = createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), { log: createLog('silent') });
    pageId = seed.pageId;
    seed.db.close();
    key = (await runTs('scripts/apikey-create.ts', ['--name', 'caps test'], { DATA_DIR: dataDir })).stdout.trim().split('\n').pop() ?? '';
    // 512 descriptors: about 430 connections for the public, a headroom of about 50 for operators.
    ({ pharos, base, port } = await startPharos({ DATA_DIR: dataDir, MAX_CONNECTIONS_PER_ADDRESS: '75' }, { openFiles: 512 }));
  });
  after(async () => {
    await pharos.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers the admin and /api/v1 while 600 connections from 8 addresses hold more than the descriptors', async () => {
    const attackers = Array.from({ length: 8 }, (_, i) => `127.0.0.${10 + i}`);
    const held = (await Promise.all(attackers.map((a) => holdMany(port, a, 75, 0)))).flat();
    await sleep(500);
    assert.ok(stillOpen(held) < 512, `${stillOpen(held)} held`);
    const admin = await fetchFrom(`${base}/admin/login`, '127.0.0.40');
    assert.ok('status' in admin && admin.status === 200, JSON.stringify(admin).slice(0, 200));
    const api = await fetchFrom(`${base}/api/v1/pages/${pageId}`, '127.0.0.41', { headers: { Authorization: `OAuth ${key}` } });
    assert.ok('status' in api && api.status === 200, JSON.stringify(api).slice(0, 200));
    // A viewer's request past the public's share is refused cheaply, with a short 503.
    const page = await fetchFrom(`${base}/`, '127.0.0.42');
    assert.ok('status' in page && page.status === 503, JSON.stringify(page).slice(0, 200));
    release(held);
    // Once the attackers let go, viewers are served again.
    await sleep(500);
    const later = await fetchFrom(`${base}/`, '127.0.0.42');
    assert.ok('status' in later && later.status === 200, JSON.stringify(later).slice(0, 200));
  });
});
