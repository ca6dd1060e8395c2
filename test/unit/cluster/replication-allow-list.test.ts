import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deflateSync } from 'node:zlib';
import { refusal } from '../../../server/cluster/replication/allow-list.js';
import { createIncident } from '../../../server/domain/incidents/writes.js';
import { scheduleMaintenance } from '../../../server/domain/incidents/maintenance.js';
import { createComponent } from '../../../server/domain/page/components.js';
import { EMBED_DEFAULTS, setEmbed } from '../../../server/domain/page/embed.js';
import { setLogo } from '../../../server/domain/page/logo.js';
import { startPharos, type TestPharos } from '../../helpers/pharos.js';

/** A 1×1 PNG, made here: the logo's bytes are recognised by their signature. */
function png(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, Buffer.from(type), data, Buffer.alloc(4)]);
  };
  const header = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.from([0, 0, 0, 0, 0]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * What an edge accepts from Redis must cover everything the primary publishes: every document a real
 * snapshot builds (with a logo, an embed limited to some sites, a maintenance window's calendar, a
 * component's feeds and badge) passes the allow-list, type and headers included.
 */
describe('the replication allow-list against the snapshot', () => {
  let p: TestPharos;
  before(async () => {
    p = await startPharos();
  });
  after(() => p.close());

  it('takes every document the snapshot builds', () => {
    const actor = { type: 'system' } as const;
    const api = createComponent(p.ctx, actor, { name: 'API' });
    createIncident(p.ctx, actor, { name: 'Down', status: 'investigating', body: 'Looking.', components: { [api.id]: 'major_outage' } });
    const soon = p.clock.now().getTime() + 86_400_000;
    scheduleMaintenance(p.ctx, actor, {
      name: 'Database upgrade',
      scheduled_for: new Date(soon).toISOString(),
      scheduled_until: new Date(soon + 3_600_000).toISOString(),
      component_ids: [api.id],
    });
    setEmbed(p.ctx, actor, { ...EMBED_DEFAULTS, origins: 'https://www.example.com\nhttps://*.example.org:8443' });
    setLogo(p.ctx, actor, png());
    const bodies = p.ctx.snapshot.current().bodies;
    const seen = new Set<string>();
    for (const [key, body] of bodies) {
      assert.equal(refusal(key, body.type, body.headers), undefined, `${key} (${body.type}) ${JSON.stringify(body.headers)}`);
      for (const name of Object.keys(body.headers)) seen.add(name);
    }
    // Every kind of header the primary sets was there to check.
    assert.deepEqual([...seen].sort(), ['Access-Control-Allow-Origin', 'Content-Disposition', 'Content-Security-Policy', 'Cross-Origin-Resource-Policy']);
    assert.ok(bodies.has('/brand/logo'));
    assert.match(bodies.get('/embed/frame')?.headers['Content-Security-Policy'] ?? '', /frame-ancestors https:\/\/www\.example\.com/);
  });
});
