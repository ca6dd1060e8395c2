import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createComponent } from '../../../server/domain/page/components.js';
import { patchMaintenance, scheduleMaintenance } from '../../../server/domain/incidents/maintenance.js';
import { DEFAULT_UPDATE_BODIES } from '../../../server/domain/page/status.js';
import { maintenanceJob } from '../../../server/jobs/maintenance.js';
import { runJob } from '../../../server/jobs/schedule.js';
import { startPharos, type TestPharos } from '../../helpers/pharos.js';
import { regionOf, statusPageNow, textOf } from '../../helpers/status-page.js';
import { viewer } from '../../helpers/viewer.js';

const system = { type: 'system' } as const;

/**
 * A maintenance window's card on the status page keeps the operator's words while the window runs: its
 * automatic start (and a status change without a message) stores a generic sentence, which the card's
 * own status line already says; the card shows the operator's latest words instead, as the embed does.
 */
describe("a maintenance window's card keeps the operator's latest words", () => {
  let p: TestPharos;
  let id = '';
  const words = 'The primary database moves to version 17: **writes pause for about 10 minutes**.';

  before(async () => {
    p = await startPharos({ listen: true });
    p.clock.set('2026-12-07T01:00:00.000Z');
    const db = createComponent(p.ctx, system, { name: 'Database' }).id;
    id = scheduleMaintenance(p.ctx, system, {
      name: 'Database upgrade',
      body: words,
      scheduled_for: '2026-12-07T02:00:00.000Z',
      scheduled_until: '2026-12-07T04:00:00.000Z',
      component_ids: [db],
    }).id;
  });
  after(() => p.close());

  it('before the window: the words under "Scheduled maintenance"', async () => {
    const maintenance = regionOf(await statusPageNow(p), 'maintenance').html;
    assert.match(maintenance, /Scheduled maintenance/);
    assert.match(maintenance, /writes pause for about 10 minutes/);
  });

  it('once the window has started by itself: the same words, not the generic sentence, on the page and in the embed', async () => {
    p.clock.set('2026-12-07T02:00:00.000Z');
    const run = await runJob(p.ctx, maintenanceJob);
    assert.equal(run?.result, 'ok', run?.error ?? '');
    const stored = p.ctx.db.prepare('SELECT body FROM incident_updates WHERE incident_id = ? ORDER BY created_at DESC, rowid DESC').pluck().get(id);
    assert.equal(stored, DEFAULT_UPDATE_BODIES.in_progress, 'the automatic start stored the generic sentence');

    const maintenance = regionOf(await statusPageNow(p), 'maintenance').html;
    assert.match(textOf(maintenance), /Maintenance in progress · until 7 Dec 2026, 04:00 UTC Database upgrade The primary database moves to version 17/);
    assert.match(maintenance, /<strong>writes pause for about 10 minutes<\/strong>/);
    assert.doesNotMatch(maintenance, /currently in progress/);
    const frame = (await request(p.app).get('/embed/frame').expect(200)).text;
    assert.match(frame, /The primary database moves to version 17/);
    assert.doesNotMatch(frame, /currently in progress/);
  });

  it("shows the operator's newer words, and keeps them through a status change without a message; live as on a GET", async () => {
    const v = viewer(p.url);
    const first = await v.next(() => true);
    p.clock.set('2026-12-07T02:30:00.000Z');
    patchMaintenance(p.ctx, system, id, { body: 'Half-way: the replicas are upgraded, the primary is next.' });
    const updated = await v.next((u) => u.version > first.version);
    assert.match(updated.html.maintenance, /Half-way: the replicas are upgraded/);
    assert.doesNotMatch(updated.html.maintenance, /writes pause/, 'the latest words only');

    p.clock.set('2026-12-07T03:30:00.000Z');
    patchMaintenance(p.ctx, system, id, { status: 'verifying' });
    const verifying = await v.next((u) => u.version > updated.version);
    assert.match(textOf(verifying.html.maintenance), /Maintenance in progress · verifying · until .+ Half-way: the replicas are upgraded/);
    assert.doesNotMatch(verifying.html.maintenance, new RegExp(DEFAULT_UPDATE_BODIES.verifying));
    const got = regionOf((await request(p.app).get('/').expect(200)).text, 'maintenance');
    assert.equal(verifying.html.maintenance, got.html, 'a live viewer composes what a GET returns');
    assert.equal(verifying.update.hashes.maintenance, got.hash);
    v.socket.close();
  });
});
