import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { EdgeCluster, eventually, getRaw } from '../helpers/edge-cluster.js';
import type { PharosProcess } from '../helpers/process.js';
import { viewer } from '../helpers/viewer.js';

/**
 * The Redis users README.md (Scaling) and docs/deploy.md tell operators to make, on a real redis-server:
 * a primary allowed only its own keys and the commands it uses, an edge that can only read them. With
 * exactly those rules the primary publishes (and republishes what was deleted), the edge serves the page
 * and its viewers get each update, Redis refuses nothing they do, and each refuses what it should.
 */

// The rules, as the docs give them (ACL SETUSER <name> <rules>).
const PRIMARY_RULES = 'resetkeys ~pharos:* resetchannels -@all +eval +get +set +del +hdel +hset +hget +xadd +sadd +info +client|setname';
const EDGE_RULES = 'resetkeys %R~pharos:* resetchannels -@all +smembers +exists +hgetall +xrevrange +xread +multi +exec +info +client|setname';
const PASSWORD = 'a password for the Redis users of the test';

describe('Redis ACLs: a primary limited to its keys, an edge that can only read', () => {
  const c = new EdgeCluster();
  let edge: { edge: PharosProcess; base: string };
  const url = (user: string) => `redis://${user}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${c.redis.port}`;
  const as = (user: string) => new Redis(url(user), { maxRetriesPerRequest: 0, lazyConnect: true });
  /** ACL LOG's entries (what Redis refused), as [username, reason, object] triples. */
  const refusals = async () =>
    ((await c.client.call('ACL', 'LOG')) as unknown[][]).map((entry) => {
      const fields = new Map<string, unknown>();
      for (let i = 0; i + 1 < entry.length; i += 2) fields.set(String(entry[i]), entry[i + 1]);
      return [fields.get('username'), fields.get('reason'), fields.get('object')].map(String);
    });

  before(async () => {
    await c.startRedis();
    await c.client.call('ACL', 'SETUSER', 'pharos-primary', 'reset', 'on', `>${PASSWORD}`, ...PRIMARY_RULES.split(' '));
    await c.client.call('ACL', 'SETUSER', 'pharos-edge', 'reset', 'on', `>${PASSWORD}`, ...EDGE_RULES.split(' '));
    await c.startPrimary({ REDIS_URL: url('pharos-primary') });
    edge = await c.startEdge({ REDIS_URL: url('pharos-edge') });
  });

  after(() => c.close());

  it('publishes, serves and updates with exactly those rights, and Redis refuses nothing they do', { timeout: 90_000 }, async () => {
    await eventually(() => c.servesThePrimarysPage(edge.base, ['/', '/api/v2/summary.json', '/history']));
    const live = viewer(edge.base);
    try {
      await live.next(() => true, 10_000);
      const made = await c.api('POST', '/incidents', { name: 'Published by a user limited to its keys', status: 'investigating' });
      await live.next((v) => v.html.incidents.includes('Published by a user limited to its keys'), 10_000);
      await c.api('PATCH', `/incidents/${String(made.id)}`, { body: 'A second update, through the stream.' });
      await live.next((v) => v.html.incidents.includes('A second update'), 10_000);
    } finally {
      live.socket.close();
    }
    // The state deleted: the primary notices on its next lease renewal and publishes it all again.
    await c.client.del(`pharos:{${c.pageId}}:state`);
    await eventually(async () => assert.ok(await c.client.hget(`pharos:{${c.pageId}}:state`, 'sig'), 'the state is published again'), 10_000);
    // A second edge starts from what the limited primary wrote.
    const second = await c.startEdge({ REDIS_URL: url('pharos-edge') });
    await c.servesThePrimarysPage(second.base, ['/', '/api/v2/status.json']);
    assert.match((await getRaw(second.base, '/', 'br')).bytes.toString(), /A second update/);
    assert.deepEqual(await refusals(), [], 'Redis refused nothing the primary and the edges did');
  });

  it('refuses the edge any write, and the primary any key or command beyond its own', { timeout: 30_000 }, async () => {
    const state = `pharos:{${c.pageId}}:state`;
    const edgeUser = as('pharos-edge');
    const primaryUser = as('pharos-primary');
    try {
      const denied = async (what: string, call: () => Promise<unknown>) => assert.rejects(call(), (err: Error) => /NOPERM/.test(err.message), what);
      await denied('edge HSET', () => edgeUser.hset(state, 'doc:/admin/login', 'forged'));
      await denied('edge DEL', () => edgeUser.del(state));
      await denied('edge XADD', () => edgeUser.xadd(`pharos:{${c.pageId}}:changes`, '*', 'kind', 'reload'));
      await denied('edge EVAL', () => edgeUser.eval("return redis.call('DEL', KEYS[1])", 1, state));
      await denied('edge reads another key', () => edgeUser.hgetall('session:secret'));
      await denied('primary writes another key', () => primaryUser.set('session:secret', 'x'));
      await denied('primary writes another key from a script', () => primaryUser.eval("return redis.call('SET', KEYS[1], 'x')", 1, 'session:secret'));
      await denied('primary FLUSHALL', () => primaryUser.flushall());
      await denied('primary CONFIG', () => primaryUser.config('SET', 'appendonly', 'no'));
      await denied('primary KEYS', () => primaryUser.keys('*'));
      assert.ok((await edgeUser.hgetall(state)).version, 'the edge reads the page');
    } finally {
      edgeUser.disconnect();
      primaryUser.disconnect();
    }
  });
});
