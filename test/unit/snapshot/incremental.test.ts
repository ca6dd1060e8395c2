import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cancelMaintenance, patchMaintenance, scheduleMaintenance } from '../../../server/domain/incidents/maintenance.js';
import { publishPostmortem, saveDraft } from '../../../server/domain/incidents/postmortem.js';
import { createIncident, deleteIncident, deleteUpdate, editUpdate, patchIncident } from '../../../server/domain/incidents/writes.js';
import { setBranding } from '../../../server/domain/page/branding.js';
import { createComponent, deleteComponent, updateComponent } from '../../../server/domain/page/components.js';
import { setDisplay } from '../../../server/domain/page/display.js';
import { createGroup, updateGroup } from '../../../server/domain/page/groups.js';
import { move } from '../../../server/domain/page/order.js';
import { setPageZone } from '../../../server/domain/page/time-zone.js';
import { publishCommunication } from '../../../server/domain/subscribers/communications.js';
import { Snapshot } from '../../../server/snapshot/snapshot.js';
import { seedHistory } from '../../helpers/history.js';
import { startPharos, type TestPharos } from '../../helpers/pharos.js';

const system = { type: 'system' } as const;
const DAY = 86_400_000;

/**
 * The snapshot keeps its documents from build to build and makes again only what a change touches
 * (snapshot/page-index.ts, history.ts, feeds.ts): after every kind of change, what it serves is what a
 * snapshot built from scratch on the same database serves, document for document, byte for byte.
 */
describe('the snapshot rebuilt from what changed', () => {
  let p: TestPharos;
  let api = '';
  let web = '';
  let db = '';
  let group = '';
  let past: string[] = [];

  /** Every document of the running snapshot against a snapshot built from nothing: the same keys, the same bytes. */
  const same = (after: string) => {
    const kept = p.ctx.snapshot.current();
    const { db: database, views, config, pageId, log } = p.ctx;
    const fresh = new Snapshot({ db: database, views, config, pageId, clock: p.clock, log }).rebuild(kept.version);
    const keys = (m: Map<string, unknown>) => [...m.keys()].sort();
    assert.deepEqual(keys(kept.bodies), keys(fresh.bodies), `${after}: the same documents`);
    const differ = [...fresh.bodies].filter(([key, body]) => kept.bodies.get(key)?.etag !== body.etag).map(([key]) => key);
    assert.deepEqual(differ, [], `${after}: the same bytes`);
  };

  before(async () => {
    p = await startPharos();
    p.clock.advance(-500 * 86_400_000);
    const g = createGroup(p.ctx, system, { name: 'Backend' });
    group = g.id;
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    web = createComponent(p.ctx, system, { name: 'Web' }).id;
    db = createComponent(p.ctx, system, { name: 'Database', group_id: g.id }).id;
    p.clock.advance(500 * 86_400_000);
    past = seedHistory(p.ctx, p.clock, 60, { components: [api, web, db], days: 400 });
  });
  after(() => p.close());

  it('after changes to incidents, their updates and postmortems', () => {
    same('the first build');
    const open = createIncident(p.ctx, system, { name: 'Errors', body: 'Looking.', components: { [api]: 'major_outage', [db]: 'degraded_performance' } });
    same('an incident opened');
    patchIncident(p.ctx, system, open.id, { status: 'identified', body: 'Found it.', name: 'Errors on the API' });
    same('an update');
    const moved = past[10] ?? '';
    patchIncident(p.ctx, system, moved, { started_at: new Date(p.clock.now().getTime() - 2 * DAY).toISOString() });
    same('a past incident moved to this month');
    const ancient = createIncident(p.ctx, system, {
      name: 'Long ago',
      body: 'Down.',
      started_at: new Date(p.clock.now().getTime() - 1000 * DAY).toISOString(),
    });
    same('an incident long before the others (pages further back)');
    deleteIncident(p.ctx, system, ancient.id);
    same('that one deleted (the last pages go)');
    deleteIncident(p.ctx, system, past[0] ?? '');
    same('the oldest incident deleted');
    const target = p.ctx.db.prepare('SELECT id FROM incident_updates WHERE incident_id = ? ORDER BY created_at LIMIT 1').pluck().get(open.id) as string;
    editUpdate(p.ctx, system, open.id, target, { body: 'Edited.' });
    same('an update edited');
    deleteUpdate(p.ctx, system, open.id, target);
    same('an update deleted');
    patchIncident(p.ctx, system, open.id, { status: 'resolved', body: 'Fixed.', components: { [api]: 'operational', [db]: 'operational' } });
    same('resolved');
    saveDraft(p.ctx, system, open.id, { body_draft: 'What happened.' });
    publishPostmortem(p.ctx, system, open.id, {});
    same('a postmortem published');
  });

  it('after changes to components: status, name, place, group, deletion', () => {
    const open = createIncident(p.ctx, system, { name: 'Slow', body: 'Looking.', components: { [web]: 'degraded_performance' } });
    same('another incident');
    updateComponent(p.ctx, system, web, { status: 'partial_outage' });
    same("a status change (the ongoing incident's page)");
    updateComponent(p.ctx, system, api, { name: 'Public API', description: 'The REST API' });
    same('a rename (every incident listing it)');
    move(p.ctx, system, 'component', web, 'up');
    same('a move');
    updateGroup(p.ctx, system, group, { name: 'Storage' });
    same('a group renamed');
    deleteComponent(p.ctx, system, web);
    same('a component deleted (its feeds and badge go, incidents no longer list it)');
    deleteIncident(p.ctx, system, open.id);
    same('an incident deleted');
  });

  it('after maintenance, notices, display, branding, zone, and the month turning', () => {
    const soon = p.clock.now().getTime() + DAY;
    const window = scheduleMaintenance(p.ctx, system, {
      name: 'Upgrade',
      scheduled_for: new Date(soon).toISOString(),
      scheduled_until: new Date(soon + 3_600_000).toISOString(),
      component_ids: [db],
    });
    same('a window scheduled');
    patchMaintenance(p.ctx, system, window.id, { status: 'in_progress' });
    same('a window started');
    cancelMaintenance(p.ctx, system, window.id);
    same('a window cancelled');
    const notice = publishCommunication(p.ctx, system, { category: 'general', title: 'Planned work', body: 'On Wednesday.' });
    same('a notice');
    publishCommunication(p.ctx, system, { category: 'general', title: 'Planned work (corrected)', body: 'On Thursday.' }, notice.id);
    same('a correction');
    setDisplay(p.ctx, system, { show_resolution_figures: true });
    same('the display');
    setBranding(p.ctx, system, { page_name: 'Acme Status Page', accent: '#5b21b6', site_url: '', support_url: '', privacy_url: '', terms_url: '' });
    same('the branding');
    setPageZone(p.ctx, system, { time_zone: 'Pacific/Auckland' });
    same('the zone');
    p.clock.advance(45 * DAY);
    same('a month later, nothing committed');
    createIncident(p.ctx, system, { name: 'New month', body: 'Looking.' });
    same('an incident in the new month');
  });
});
