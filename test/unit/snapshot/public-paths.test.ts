import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isDocumentKey, isDocumentPath, NOT_FOUND, notFoundKey } from '../../../server/snapshot/public-paths.js';
import { startPharos, type TestPharos } from '../../helpers/pharos.js';
import { createComponent } from '../../../server/domain/page/components.js';
import { createIncident } from '../../../server/domain/incidents/writes.js';

describe('the shapes of public documents', () => {
  let p: TestPharos;
  before(async () => {
    p = await startPharos();
  });
  after(() => p.close());

  it('every key the snapshot holds has one of the shapes', () => {
    const actor = { type: 'system' } as const;
    const component = createComponent(p.ctx, actor, { name: 'API' });
    createIncident(p.ctx, actor, { name: 'Down', status: 'investigating', body: 'Looking.', components: { [component.id]: 'major_outage' } });
    const keys = [...p.ctx.snapshot.current().bodies.keys()];
    assert.ok(keys.length > 20, keys.join(' '));
    assert.ok(keys.some((k) => k.startsWith('/incidents/')));
    assert.ok(keys.some((k) => k.includes('?component=')));
    for (const key of keys) assert.ok(isDocumentKey(key), key);
    // The answers to a miss, one of each type, and the webhooks' page.
    for (const key of [...Object.values(NOT_FOUND), '/webhooks']) assert.ok(keys.includes(key), key);
  });

  it('answers a miss at any document path with the not-found document of its type', () => {
    for (const [path, key] of [
      ['/incidents/nosuchincident', NOT_FOUND.page],
      ['/incidents/NOT-AN-ID', NOT_FOUND.page],
      ['/incidents/abc.ics', NOT_FOUND.calendar],
      ['/notices/abc', NOT_FOUND.page],
      ['/history', NOT_FOUND.page],
      ['/history.atom', NOT_FOUND.atom],
      ['/history.rss', NOT_FOUND.rss],
      ['/badge.svg', NOT_FOUND.badge],
      ['/api/v2/nope.json', NOT_FOUND.json],
    ] as const) {
      assert.equal(isDocumentPath(path), true, path);
      assert.equal(notFoundKey(path), key, path);
    }
    for (const path of ['/incidents/abc/follow', '/wp-login.php', '/admin/login', '/api/v1/pages', '/subscriptions/manage/x']) {
      assert.equal(isDocumentPath(path), false, path);
    }
  });

  it('refuses what no document is', () => {
    for (const key of [
      '/admin/login',
      '/admin',
      '/setup',
      '/incidents/../admin',
      '/incidents/ABC',
      '/history?page=0',
      '/history?page=1&x=2',
      '/badge.svg?component=a&b',
      '/api/v1/pages',
      '/x',
      '',
    ])
      assert.equal(isDocumentKey(key), false, key);
    assert.equal(isDocumentPath('/incidents/abc123'), true);
    assert.equal(isDocumentPath('/incidents/abc123/follow'), false);
    assert.equal(isDocumentPath('/admin/incidents'), false);
  });
});
