import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isDocumentKey, isDocumentPath } from '../../../server/snapshot/public-paths.js';
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
