import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createContext } from '../../server/compose.js';
import { loadConfig } from '../../server/config.js';
import { createComponent } from '../../server/domain/page/components.js';
import { createLog } from '../../server/log.js';
import { seedHistory } from '../helpers/history.js';
import { FakeClock } from '../helpers/pharos.js';
import { freePort, PharosProcess, sleep } from '../helpers/process.js';
import { TestRedis } from '../helpers/redis.js';
import { SECRET } from '../helpers/edge-cluster.js';

/**
 * An edge answers made-up document URLs (a history page far past the last, unknown incidents, notices,
 * components' feeds and badges) from its replica, as the primary does, and never forwards them: a
 * primary that every edge sent such misses to would be the target. With its primary stopped, they are
 * still 404s, not 503s.
 */

const MISSES = [
  '/history?page=999999',
  '/incidents/nosuchincident',
  '/incidents/nosuchwindow.ics',
  '/notices/nosuchnotice',
  '/history.atom?component=nosuchcomponent',
  '/history.rss?component=nosuchcomponent',
  '/badge.svg?component=nosuchcomponent&x=1',
  '/api/v2/nope.json',
  // Paths that are no document at all: answered from the read model too, never by the primary.
  '/made-up-path',
  '/History',
  '/incidents/a/b',
  '/history/',
];

const get = async (base: string, path: string, accept = '*/*') => {
  const res = await fetch(base + path, { headers: { 'Accept-Encoding': 'identity', Accept: accept }, signal: AbortSignal.timeout(5000) });
  return { status: res.status, etag: res.headers.get('etag'), type: res.headers.get('content-type'), body: await res.text() };
};

describe('an edge answers misses from its replica', () => {
  const redis = new TestRedis();
  let root = '';
  let primary: PharosProcess;
  let edge: PharosProcess;
  let primaryBase = '';
  let edgeBase = '';

  before(async () => {
    await redis.start();
    root = mkdtempSync(join(tmpdir(), 'pharos-edge-misses-'));
    const dataDir = join(root, 'primary');
    const clock = new FakeClock(new Date().toISOString());
    const seed = createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), { clock, log: createLog('silent') });
    clock.advance(-3 * 365 * 86_400_000);
    const api = createComponent(seed, { type: 'system' }, { name: 'API' }).id;
    clock.advance(3 * 365 * 86_400_000);
    seedHistory(seed, clock, 2000, { components: [api], days: 2 * 365 });
    seed.db.close();
    const [pp, ep] = [await freePort(), await freePort()];
    [primaryBase, edgeBase] = [`http://127.0.0.1:${pp}`, `http://127.0.0.1:${ep}`];
    primary = new PharosProcess({
      DATA_DIR: dataDir,
      PORT: String(pp),
      HOST: '127.0.0.1',
      PUBLIC_URL: edgeBase,
      REDIS_URL: redis.url,
      REPLICATION_SECRET: SECRET,
      LOG_LEVEL: 'info',
    });
    await primary.ready(`${primaryBase}/readyz`, 60_000);
    edge = new PharosProcess({
      PHAROS_ROLE: 'edge',
      REDIS_URL: redis.url,
      REPLICATION_SECRET: SECRET,
      PRIMARY_URL: primaryBase,
      PORT: String(ep),
      HOST: '127.0.0.1',
      PUBLIC_URL: edgeBase,
      LOG_LEVEL: 'info',
    });
    await edge.ready(`${edgeBase}/readyz`, 60_000);
  });

  after(async () => {
    for (const p of [primary, edge]) if (p?.alive) await p.kill('SIGKILL');
    await redis.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('the same 404 as the primary, and the same again with the primary stopped', { timeout: 60_000 }, async () => {
    const want = new Map<string, Awaited<ReturnType<typeof get>>>();
    for (const [i, path] of MISSES.entries()) {
      const got = await get(primaryBase, path, ['text/plain', 'image/png', '*/*'][i % 3]);
      assert.equal(got.status, 404, `primary ${path}`);
      assert.ok(got.etag, `primary ${path}: from the read model`);
      want.set(path, got);
    }
    // The edge has what the primary published (its replica is a state behind at most for a moment).
    const until = Date.now() + 20_000;
    for (;;) {
      const got = await get(edgeBase, MISSES[0] ?? '');
      if (got.etag === want.get(MISSES[0] ?? '')?.etag || Date.now() > until) break;
      await sleep(100);
    }
    const check = async (when: string) => {
      for (const [i, path] of MISSES.entries()) {
        // Whatever the client says it takes (but JSON alone), the same prebuilt page.
        const got = await get(edgeBase, path, ['*/*', 'text/plain', 'image/png'][i % 3]);
        const expected = want.get(path);
        assert.equal(got.status, 404, `${when}: edge ${path}`);
        assert.equal(got.etag, expected?.etag, `${when}: edge ${path}`);
        assert.equal(got.type, expected?.type, `${when}: edge ${path}`);
        assert.equal(got.body, expected?.body, `${when}: edge ${path}`);
      }
    };
    await check('primary up');
    await primary.kill('SIGTERM');
    await check('primary stopped');
    const posted = await fetch(`${edgeBase}/made-up-path`, { method: 'POST', body: 'x=1', signal: AbortSignal.timeout(5000) });
    assert.equal(posted.status, 404, 'a form to no path is not for the primary either');
    // A page that exists is served as before, and what is no document still goes to the (stopped) primary.
    assert.equal((await get(edgeBase, '/history')).status, 200);
    assert.equal((await get(edgeBase, '/admin/login')).status, 503);
  });
});
