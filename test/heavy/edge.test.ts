import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Redis } from 'ioredis';
import { io as connect } from 'socket.io-client';
import { createContext } from '../../server/compose.js';
import { loadConfig } from '../../server/config.js';
import { scheduleMaintenance } from '../../server/domain/incidents/maintenance.js';
import { createComponent } from '../../server/domain/page/components.js';
import { tagOf } from '../../server/snapshot/body.js';
import { createLog } from '../../server/log.js';
import { pageKeys } from '../../server/cluster/replication/keys.js';
import { freePort, PharosProcess, sleep } from '../helpers/process.js';
import { TestRedis } from '../helpers/redis.js';
import { runTs } from '../helpers/spawn.js';
import { viewer } from '../helpers/viewer.js';

/**
 * A primary and two edges on real processes and a real redis-server (PHAROS_ROLE, REDIS_URL,
 * PRIMARY_URL): the edges serve every public document from Redis and push the primary's changes to
 * their own viewers, forward the rest to the primary, keep serving with the primary killed or Redis
 * stopped and catch up after, never go back to an older state, ignore what does not belong in Redis,
 * and keep pages of different databases apart.
 */

const ADMIN = 'admin@example.com';
/** Shared by the primary and its edges (REPLICATION_SECRET): what the primary signs, edges check. */
const SECRET = 'a replication secret for the edge tests, long enough';
const PASSWORD = 'a long enough password';
const system = { type: 'system' } as const;
const PUBLIC_DOCS = [
  '/',
  '/api/v2/summary.json',
  '/api/v2/status.json',
  '/api/v2/incidents.json',
  '/history',
  '/notices',
  '/subscribe',
  '/maintenance.ics',
  '/history.atom',
  '/history.rss',
  '/badge.svg',
];

interface Got {
  status: number;
  body: string;
  etag: string | null;
  headers: Headers;
}

async function get(base: string, path: string, headers: Record<string, string> = {}): Promise<Got> {
  const res = await fetch(base + path, { headers, redirect: 'manual' });
  return { status: res.status, body: await res.text(), etag: res.headers.get('etag'), headers: res.headers };
}

/** Retries `check` until it passes or `ms` have gone by (then throws its last failure). */
async function eventually(check: () => Promise<void> | void, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > until) throw err;
      await sleep(50);
    }
  }
}

describe('edges: the read model through Redis, the rest forwarded to the primary', () => {
  const redis = new TestRedis();
  let client: Redis;
  let root: string;
  let dataDir: string;
  let primary: PharosProcess;
  let edgeA: PharosProcess;
  let edgeB: PharosProcess;
  const extra: PharosProcess[] = [];
  let primaryBase = '';
  let primaryEnv: Record<string, string> = {};
  let a = '';
  let b = '';
  let key = '';
  let pageId = '';
  let incidentId = '';
  let windowId = '';
  const sockets: { close(): void }[] = [];
  /** A component's feed and badge: documents a query string names, in the read model as well. */
  const componentDocs: string[] = [];

  const post = (base: string, incident: Record<string, unknown>, path = '/incidents', method = 'POST') =>
    fetch(`${base}/api/v1/pages/${pageId}${path}`, {
      method,
      headers: { Authorization: `OAuth ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ incident }),
    });

  const startEdge = async (env: Record<string, string> = {}) => {
    const port = await freePort();
    const edge = new PharosProcess({
      PHAROS_ROLE: 'edge',
      REDIS_URL: redis.url,
      REPLICATION_SECRET: SECRET,
      PRIMARY_URL: primaryBase,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: a || `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'info',
      ...env,
    });
    return { edge, base: `http://127.0.0.1:${port}` };
  };

  before(async () => {
    await redis.start();
    client = redis.client();
    root = mkdtempSync(join(tmpdir(), 'pharos-edge-'));
    dataDir = join(root, 'primary');
    const seed = createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), { log: createLog('silent') });
    const api = createComponent(seed, system, { name: 'API' });
    componentDocs.push(`/badge.svg?component=${api.id}`, `/history.rss?component=${api.id}`);
    const soon = Date.now() + 3 * 86_400_000;
    windowId = scheduleMaintenance(seed, system, {
      name: 'Database upgrade',
      scheduled_for: new Date(soon).toISOString(),
      scheduled_until: new Date(soon + 3_600_000).toISOString(),
      component_ids: [api.id],
    }).id;
    pageId = seed.pageId;
    seed.db.close();
    key = (await runTs('scripts/apikey-create.ts', ['--name', 'edge test'], { DATA_DIR: dataDir })).stdout.trim().split('\n').pop() ?? '';
    const [pp, pa] = [await freePort(), await freePort()];
    primaryBase = `http://127.0.0.1:${pp}`;
    a = `http://127.0.0.1:${pa}`;
    primaryEnv = {
      DATA_DIR: dataDir,
      PORT: String(pp),
      HOST: '127.0.0.1',
      // Every node has the page's public address (a load balancer's, here edge A's).
      PUBLIC_URL: a,
      REDIS_URL: redis.url,
      REPLICATION_SECRET: SECRET,
      TRUST_PROXY: 'loopback',
      LOG_LEVEL: 'info',
      ADMIN_EMAIL: ADMIN,
      ADMIN_PASSWORD: PASSWORD,
    };
    primary = new PharosProcess(primaryEnv);
    await primary.ready(`${primaryBase}/readyz`, 30_000);
    const first = await post(primaryBase, { name: 'Elevated errors on the API', status: 'investigating', body: 'Looking into it.' });
    assert.equal(first.status, 201);
    incidentId = ((await first.json()) as { id: string }).id;
    edgeA = new PharosProcess({
      PHAROS_ROLE: 'edge',
      REDIS_URL: redis.url,
      REPLICATION_SECRET: SECRET,
      PRIMARY_URL: primaryBase,
      PORT: String(pa),
      HOST: '127.0.0.1',
      PUBLIC_URL: a,
      LOG_LEVEL: 'info',
    });
    // Edge B runs two HTTP workers of its own.
    const started = await startEdge({ WEB_CONCURRENCY: '2' });
    edgeB = started.edge;
    b = started.base;
    await Promise.all([edgeA.ready(`${a}/readyz`, 30_000), edgeB.ready(`${b}/readyz`, 30_000)]);
  });

  after(async () => {
    for (const s of sockets) s.close();
    for (const p of [primary, edgeA, edgeB, ...extra]) if (p?.alive) await p.kill('SIGKILL');
    client?.disconnect();
    await redis.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('serves every public document from Redis, byte for byte and tag for tag as the primary', { timeout: 30_000 }, async () => {
    for (const path of [...PUBLIC_DOCS, ...componentDocs, `/incidents/${incidentId}`, `/incidents/${windowId}`, `/incidents/${windowId}.ics`]) {
      for (const encoding of ['identity', 'br', 'gzip']) {
        const headers = { 'Accept-Encoding': encoding };
        const want = await get(primaryBase, path, headers);
        assert.equal(want.status, 200, path);
        for (const edge of [a, b]) {
          await eventually(async () => {
            const got = await get(edge, path, headers);
            assert.equal(got.status, 200, `${edge}${path}`);
            assert.equal(got.etag, want.etag, `${edge}${path} ${encoding}`);
            assert.equal(got.body, want.body, `${edge}${path} ${encoding}`);
            assert.equal(got.headers.get('content-type'), want.headers.get('content-type'));
            assert.equal(got.headers.get('content-encoding'), want.headers.get('content-encoding'));
          });
        }
      }
    }
    // A client holding the page gets a 304 from an edge, as from the primary.
    const page = await get(a, '/');
    assert.equal((await fetch(`${a}/`, { headers: { 'If-None-Match': page.etag ?? '' } })).status, 304);
    const ready = (await (await fetch(`${a}/readyz`)).json()) as { role: string; checks: { replica: { page: string } } };
    assert.equal(ready.role, 'edge');
    assert.equal(ready.checks.replica.page, pageId);
  });

  it("pushes a change posted on the primary to the viewers of both edges (and of edge B's two workers)", { timeout: 30_000 }, async () => {
    const viewers = [viewer(a), viewer(a), ...Array.from({ length: 6 }, () => viewer(b))];
    sockets.push(...viewers.map((v) => v.socket));
    await Promise.all(viewers.map((v) => v.next((u) => u.html.incidents.includes('Elevated errors'), 10_000)));
    // And a viewer of the incident's own page, on edge B.
    const onIncident = connect(b, { transports: ['websocket'], forceNew: true, auth: { v: 2, incident: incidentId, hashes: {} } });
    sockets.push(onIncident);
    const incidentTexts: string[] = [];
    onIncident.on('incident', (u: { html?: string }) => incidentTexts.push(u.html ?? ''));
    await eventually(() => assert.equal(incidentTexts.length, 1));
    const answer = await post(
      primaryBase,
      { body: 'We found a bad deploy and are rolling it back.', status: 'identified' },
      `/incidents/${incidentId}`,
      'PATCH',
    );
    assert.equal(answer.status, 200);
    await Promise.all(viewers.map((v) => v.next((u) => u.html.incidents.includes('rolling it back'), 5000)));
    await eventually(() => assert.match(incidentTexts.at(-1) ?? '', /rolling it back/), 5000);
  });

  it('forwards the admin (and its live connection), the management API and forms to the primary', { timeout: 30_000 }, async () => {
    const login = await fetch(`${a}/admin/login`);
    assert.equal(login.status, 200);
    const anon = (login.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())?.[1] ?? '';
    const signedIn = await fetch(`${a}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { Cookie: anon, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, email: ADMIN, password: PASSWORD, next: '/admin' }),
    });
    assert.equal(signedIn.status, 303);
    const cookie =
      signedIn.headers
        .getSetCookie()
        .find((c) => c.startsWith('pharos_session='))
        ?.split(';')[0] ?? '';
    const dashboard = await fetch(`${a}/admin`, { headers: { Cookie: cookie } });
    assert.equal(dashboard.status, 200);
    assert.match(await dashboard.text(), /Elevated errors on the API/);
    // The operators' socket.io server is the primary's, reached through the edge.
    const socket = connect(a, { path: '/admin/live/', transports: ['websocket'], extraHeaders: { Cookie: cookie }, forceNew: true, reconnection: false });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.on('connect', () => resolve());
      socket.on('connect_error', reject);
    });
    // The management API through an edge commits on the primary, and the change comes back through Redis.
    const made = await post(b, { name: 'Posted through an edge', status: 'investigating' });
    assert.equal(made.status, 201);
    assert.match((await get(primaryBase, '/')).body, /Posted through an edge/);
    await eventually(async () => assert.match((await get(b, '/')).body, /Posted through an edge/));
    // A public form: the sign-up is the primary's (the "check your inbox" page).
    const form = await fetch(`${b}/subscribe`);
    const formCookie = (form.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
    const formCsrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
    const signup = await fetch(`${b}/subscribe`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(formCookie ? { Cookie: formCookie } : {}) },
      body: new URLSearchParams({ ...(formCsrf ? { _csrf: formCsrf } : {}), email: 'reader@example.com' }),
    });
    assert.ok(signup.status < 400, `subscribe answered ${signup.status}`);
    // The edge passes on who the client is; the primary trusts it (TRUST_PROXY=loopback) and logs one request id for both.
    const id = 'edge-test-request-1';
    await fetch(`${a}/admin/login`, { headers: { 'X-Request-Id': id } });
    await eventually(() => {
      assert.match(primary.log, new RegExp(`"req_id":"${id}"`));
      assert.match(edgeA.log, new RegExp(`"req_id":"${id}"`));
    });
  });

  it('never serves an older state after a newer one, over HTTP or live', { timeout: 60_000 }, async () => {
    const live = viewer(b);
    sockets.push(live.socket);
    await live.next(() => true, 10_000);
    const counts: number[] = [];
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const got = await get(b, '/api/v2/incidents/unresolved.json');
        const incidents = (JSON.parse(got.body) as { incidents: { id: string; incident_updates: unknown[] }[] }).incidents;
        counts.push(incidents.find((i) => i.id === incidentId)?.incident_updates.length ?? 0);
      }
    })();
    for (let i = 0; i < 15; i++) {
      const answer = await post(primaryBase, { body: `Step ${i} of the rollback.` }, `/incidents/${incidentId}`, 'PATCH');
      assert.equal(answer.status, 200);
    }
    await live.next((u) => u.html.incidents.includes('Step 14 of the rollback.') || u.html.incidents.includes('Step 14'), 10_000);
    await eventually(async () => assert.match((await get(b, `/incidents/${incidentId}`)).body, /Step 14 of the rollback/));
    await sleep(200);
    polling = false;
    await poll;
    assert.ok(counts.length > 5, `${counts.length} reads`);
    for (let i = 1; i < counts.length; i++) assert.ok((counts[i] ?? 0) >= (counts[i - 1] ?? 0), `read ${i}: ${counts[i - 1]} then ${counts[i]} updates`);
    const versions = live.received.map((v) => v.version);
    for (let i = 1; i < versions.length; i++) assert.ok((versions[i] ?? 0) >= (versions[i - 1] ?? 0), `live: ${versions.join(' ')}`);
  });

  it('keeps serving with the primary killed (kill -9), says so for what needs it, and catches up when it returns', { timeout: 60_000 }, async () => {
    const viewers = [viewer(a), viewer(b), viewer(b)];
    sockets.push(...viewers.map((v) => v.socket));
    await Promise.all(viewers.map((v) => v.next(() => true, 10_000)));
    let dropped = 0;
    for (const v of viewers) v.socket.on('disconnect', () => dropped++);
    const before = await get(a, '/');
    await primary.kill('SIGKILL');
    // The page, the API, the feeds, the badges and the live connections stay; nothing claims what it cannot know.
    for (const path of [...PUBLIC_DOCS, ...componentDocs]) {
      const got = await get(a, path);
      assert.equal(got.status, 200, path);
    }
    assert.equal((await get(a, '/')).etag, before.etag);
    assert.equal((await get(b, `/incidents/${incidentId}`)).status, 200);
    const admin = await get(a, '/admin/login', { Accept: 'text/html' });
    assert.equal(admin.status, 503);
    assert.match(admin.body, /cannot be reached from here right now/);
    assert.equal(admin.headers.get('retry-after'), '30');
    const api = await get(b, `/api/v1/pages/${pageId}/incidents`, { Authorization: `OAuth ${key}` });
    assert.equal(api.status, 503);
    assert.equal((JSON.parse(api.body) as { error: { code: string } }).error.code, 'primary_unavailable');
    assert.equal((await fetch(`${a}/readyz`)).status, 200);
    await sleep(1000);
    assert.equal(dropped, 0, 'live viewers stay connected');
    // Back (the same data folder: its lease is its own, it publishes at once); its next change reaches every open page.
    primary = new PharosProcess(primaryEnv);
    await primary.ready(`${primaryBase}/readyz`, 30_000);
    const answer = await post(primaryBase, { body: 'Primary is back; rollback complete.', status: 'monitoring' }, `/incidents/${incidentId}`, 'PATCH');
    assert.equal(answer.status, 200);
    await Promise.all(viewers.map((v) => v.next((u) => u.html.incidents.includes('rollback complete'), 10_000)));
    assert.equal(dropped, 0);
  });

  it('keeps serving with Redis stopped, commits on the primary meanwhile, and catches up when Redis returns', { timeout: 60_000 }, async () => {
    const viewers = [viewer(a), viewer(b)];
    sockets.push(...viewers.map((v) => v.socket));
    await Promise.all(viewers.map((v) => v.next(() => true, 10_000)));
    let dropped = 0;
    for (const v of viewers) v.socket.on('disconnect', () => dropped++);
    const before = await get(a, '/');
    await redis.stop();
    // The primary commits without waiting on Redis.
    const started = Date.now();
    const answer = await post(primaryBase, { name: 'Posted while Redis was down', status: 'investigating' });
    assert.equal(answer.status, 201);
    assert.ok(Date.now() - started < 5000, 'the commit did not wait for Redis');
    await eventually(async () => assert.match((await get(primaryBase, '/')).body, /Posted while Redis was down/));
    for (const edge of [a, b]) {
      const got = await get(edge, '/');
      assert.equal(got.status, 200);
      assert.doesNotMatch(got.body, /Posted while Redis was down/);
    }
    assert.equal((await get(a, '/')).etag, before.etag);
    await eventually(async () => {
      const ready = (await (await fetch(`${a}/readyz`)).json()) as { status: string; checks: { redis: { ok: boolean } } };
      assert.equal(ready.status, 'ready');
      assert.equal(ready.checks.redis.ok, false);
    });
    // Redis comes back empty (no persistence): the primary publishes everything again, edges re-read it.
    await redis.start();
    await Promise.all(viewers.map((v) => v.next((u) => u.html.incidents.includes('Posted while Redis was down'), 15_000)));
    for (const edge of [a, b]) await eventually(async () => assert.match((await get(edge, '/')).body, /Posted while Redis was down/));
    assert.equal(dropped, 0, 'live viewers stayed connected');
  });

  it('keeps its last good state when Redis holds a malformed or foreign document, and logs it', { timeout: 60_000 }, async () => {
    const keys = pageKeys(pageId);
    const live = viewer(a);
    sockets.push(live.socket);
    await live.next(() => true, 10_000);
    const before = await get(a, '/');
    const summary = await get(a, '/api/v2/summary.json');
    const hash = await client.hgetall(keys.state);
    // Another page's document, well formed and matching its tag.
    const theirs = Buffer.from('{"page":{"name":"Someone else"}}');
    const foreign = JSON.stringify({
      ...(JSON.parse(hash['doc:/api/v2/summary.json'] ?? '{}') as object),
      page: 'someone-else',
      // Its own signature (not one the edge holds), as another page's primary would have made.
      sig: 'S'.repeat(43),
      tag: tagOf(theirs),
      identity: theirs.toString('base64'),
    });
    const wrongTag = JSON.stringify({
      ...(JSON.parse(hash['doc:/'] ?? '{}') as object),
      identity: Buffer.from('<h1>All good, nothing to see</h1>').toString('base64'),
    });
    // Written as the primary would: the hash, then an entry following the last publication.
    await client.hset(keys.state, 'doc:/', 'not json at all', 'doc:/api/v2/summary.json', foreign, 'live', '{"page":1}');
    const next = ['seq', String(Number(hash.seq) + 1), 'sig', hash.sig ?? ''];
    await client.xadd(
      keys.changes,
      '*',
      ...['base', hash.seq ?? '', 'kind', 'delta', 'version', hash.version ?? '0', 'epoch', hash.epoch ?? '', 'removed', '[]', ...next],
      ...['doc:/', 'not json at all', 'doc:/api/v2/summary.json', foreign, 'doc:/history', wrongTag, 'live', '{"page":1}'],
    );
    // The entry is refused whole: what its documents claim is not what its signature covers, so none of
    // them is parsed (a forged document is never decoded nor decompressed).
    await eventually(() => {
      assert.match(edgeA.log, /ignored a malformed, foreign or unsigned document from Redis/);
      assert.match(edgeA.log, /"document":"entry","reason":"not a publication a primary of this page signed/);
    });
    assert.equal((await get(a, '/')).body, before.body);
    assert.equal((await get(a, '/api/v2/summary.json')).body, summary.body);
    assert.doesNotMatch((await get(a, '/history')).body, /nothing to see/);
    // An edge started now, reading that hash, holds no live state it can trust: it is not ready, forwards
    // reads to the primary meanwhile, and becomes ready with the primary's next publication.
    const late = await startEdge();
    extra.push(late.edge);
    await late.edge.ready(`${late.base}/healthz`, 30_000);
    await eventually(() => assert.match(late.edge.log, /ignored a malformed, foreign or unsigned document/));
    assert.equal((await fetch(`${late.base}/readyz`)).status, 503);
    assert.equal((await get(late.base, '/api/v2/summary.json')).body, (await get(primaryBase, '/api/v2/summary.json')).body, 'forwarded to the primary');
    // The primary's next change goes through as usual.
    const answer = await post(primaryBase, { body: 'Error rates are back to normal.', status: 'resolved' }, `/incidents/${incidentId}`, 'PATCH');
    assert.equal(answer.status, 200);
    // Past incidents list open ones too, with their latest update: the resolution's own words say it arrived.
    await live.next((u) => u.html.past.includes('Error rates are back to normal.'), 10_000);
    await eventually(async () => assert.equal((await get(a, '/')).etag, (await get(primaryBase, '/')).etag));
    await eventually(async () => assert.equal((await fetch(`${late.base}/readyz`)).status, 200));
    assert.equal((await get(late.base, '/')).etag, (await get(primaryBase, '/')).etag);
    assert.ok(live.socket.connected);
  });

  it('keeps two primaries on one Redis apart, and refuses a second primary of the same page', { timeout: 90_000 }, async () => {
    // Another database, another page: its own keys.
    const otherDir = join(root, 'other');
    const otherPort = await freePort();
    const other = new PharosProcess({
      DATA_DIR: otherDir,
      PORT: String(otherPort),
      HOST: '127.0.0.1',
      REDIS_URL: redis.url,
      REPLICATION_SECRET: SECRET,
      PAGE_NAME: 'Another company',
      LOG_LEVEL: 'info',
    });
    extra.push(other);
    await other.ready(`http://127.0.0.1:${otherPort}/readyz`, 30_000);
    await eventually(async () => assert.equal((await client.smembers('pharos:pages')).length, 2));
    const otherPage = (await client.smembers('pharos:pages')).find((p) => p !== pageId) ?? '';
    assert.doesNotMatch((await get(a, '/')).body, /Another company/);
    const pinned = await startEdge({ PAGE_ID: otherPage, PRIMARY_URL: `http://127.0.0.1:${otherPort}` });
    extra.push(pinned.edge);
    await pinned.edge.ready(`${pinned.base}/readyz`, 30_000);
    assert.match((await get(pinned.base, '/')).body, /Another company/);
    assert.doesNotMatch((await get(pinned.base, '/')).body, /Elevated errors/);
    // Which page, when both have a live primary and PAGE_ID does not say: one line, and no start.
    const unsure = await runTs('server/main.ts', [], {
      PHAROS_ROLE: 'edge',
      REDIS_URL: redis.url,
      REPLICATION_SECRET: SECRET,
      PRIMARY_URL: primaryBase,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
    });
    assert.equal(unsure.code, 1);
    assert.match(unsure.stderr, /PAGE_ID/);

    // A copy of the first database, started as a second primary of the same page, is refused.
    const copyDir = join(root, 'copy');
    mkdirSync(copyDir, { recursive: true });
    const source = new Database(join(dataDir, 'pharos.db'), { readonly: true });
    await source.backup(join(copyDir, 'pharos.db'));
    source.close();
    const copyPort = await freePort();
    const copy = new PharosProcess({
      DATA_DIR: copyDir,
      PORT: String(copyPort),
      HOST: '127.0.0.1',
      REDIS_URL: redis.url,
      REPLICATION_SECRET: SECRET,
      LOG_LEVEL: 'info',
    });
    extra.push(copy);
    await copy.ready(`http://127.0.0.1:${copyPort}/readyz`, 30_000);
    await eventually(() => assert.match(copy.log, /another Pharos primary publishes this page to Redis/));
    const copyKey = (await runTs('scripts/apikey-create.ts', ['--name', 'copy'], { DATA_DIR: copyDir })).stdout.trim().split('\n').pop() ?? '';
    const forged = await fetch(`http://127.0.0.1:${copyPort}/api/v1/pages/${pageId}/incidents`, {
      method: 'POST',
      headers: { Authorization: `OAuth ${copyKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ incident: { name: 'Only in the copy', status: 'investigating' } }),
    });
    assert.equal(forged.status, 201);
    await sleep(1500);
    assert.doesNotMatch((await get(a, '/')).body, /Only in the copy/);
    assert.equal((await get(a, '/')).etag, (await get(primaryBase, '/')).etag);
  });

  it('stops an edge without REDIS_URL, PRIMARY_URL or REPLICATION_SECRET, and a primary with REDIS_URL but no secret, with one line naming it', async () => {
    for (const [missing, env] of [
      ['REDIS_URL', { PHAROS_ROLE: 'edge', PRIMARY_URL: 'http://127.0.0.1:1' }],
      ['PRIMARY_URL', { PHAROS_ROLE: 'edge', REDIS_URL: 'redis://127.0.0.1:1' }],
      ['REPLICATION_SECRET', { PHAROS_ROLE: 'edge', REDIS_URL: 'redis://127.0.0.1:1', PRIMARY_URL: 'http://127.0.0.1:1' }],
      ['REPLICATION_SECRET', { REDIS_URL: 'redis://127.0.0.1:1', DATA_DIR: join(root, 'no-secret') }],
    ] as const) {
      const ran = await runTs('server/main.ts', [], { PORT: String(await freePort()), ...env });
      assert.equal(ran.code, 1, missing);
      const lines = ran.stderr.trim().split('\n');
      assert.equal(lines.length, 1, ran.stderr);
      assert.match(lines[0] ?? '', new RegExp(missing));
    }
  });
});
