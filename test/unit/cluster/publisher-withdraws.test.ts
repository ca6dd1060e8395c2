import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Publisher } from '../../../server/cluster/replication/publisher.js';
import { pageKeys } from '../../../server/cluster/replication/keys.js';
import { loadConfig } from '../../../server/config.js';
import { createLog } from '../../../server/log.js';
import { makeBody } from '../../../server/snapshot/body.js';
import { frameCsp } from '../../../server/snapshot/embed.js';
import type { LiveState } from '../../../server/snapshot/snapshot.js';
import { TestRedis } from '../../helpers/redis.js';

const REGIONS = { banner: '', notices: '', maintenance: '', components: '', incidents: '', past: '', subscribe: '' };
const live = (version: number): LiveState => ({
  version,
  title: 'Acme',
  status: { indicator: 'none', description: 'All Systems Operational' },
  html: REGIONS,
  hashes: REGIONS,
  rows: {},
  layoutKey: '[]',
});

describe('the publisher and the edges’ allow-list', () => {
  const redis = new TestRedis();
  let publisher: Publisher;
  before(async () => {
    await redis.start();
    const config = loadConfig({
      DATA_DIR: '/tmp/pharos-publisher-test',
      LOG_LEVEL: 'silent',
      REDIS_URL: redis.url,
      REPLICATION_SECRET: 'a secret of at least thirty-two characters',
    });
    publisher = new Publisher({ config, log: createLog('silent'), pageId: 'page1' });
  });
  after(async () => {
    await publisher.stop();
    await redis.close();
  });

  const published = (version: number, bodies: Map<string, ReturnType<typeof makeBody>>) =>
    new Promise<void>((resolve) => {
      const off = publisher.onPublished((v) => {
        if (v !== version) return;
        off();
        resolve();
      });
      publisher.publish({ version, bodies, live: live(version) });
    });

  it('takes out of Redis a document whose new form edges would refuse, rather than leave its old one standing', async () => {
    const client = redis.client();
    const key = pageKeys('page1').state;
    const frame = makeBody('<p>frame</p>', 'text/html; charset=utf-8', { 'Content-Security-Policy': frameCsp([]) });
    await published(1, new Map([['/embed/frame', frame]]));
    assert.equal(await client.hexists(key, 'doc:/embed/frame'), 1);
    // A header no document of the primary's carries: edges would refuse it.
    await published(2, new Map([['/embed/frame', makeBody('<p>frame</p>', 'text/html; charset=utf-8', { 'Set-Cookie': 'x=1' })]]));
    assert.equal(await client.hexists(key, 'doc:/embed/frame'), 0);
    client.disconnect();
  });
});
