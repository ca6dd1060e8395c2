import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createComponent } from '../../../server/domain/page/components.js';
import { createIncident } from '../../../server/domain/incidents/writes.js';
import { scheduleMaintenance } from '../../../server/domain/incidents/maintenance.js';
import { maintenanceJob } from '../../../server/jobs/maintenance.js';
import { runJob } from '../../../server/jobs/schedule.js';
import { addApiKey, startPharos, type TestPharos } from '../../helpers/pharos.js';
import { arr, obj, type Json } from '../../helpers/statuspage.js';
import { checkWindow, getJson, incidentIds, system, windows } from './api-world.js';

/**
 * Scheduled maintenance as the public sees it (v2 API, status page) through one window's life: scheduled,
 * in progress, then verifying and completed as automation drives it (v1). The tests build on each other.
 */

describe('scheduled maintenance in the v2 API and on the status page', () => {
  let p: TestPharos;
  let api = '';
  let web = '';
  let key = '';
  let id = '';
  let incidentId = '';
  const expected = () => ({
    id,
    from: '2026-12-01T02:00:00Z',
    until: '2026-12-01T04:00:00Z',
    remind: true,
    autoStart: true,
    autoComplete: true,
    components: [api, web],
  });

  before(async () => {
    p = await startPharos({ env: { PUBLIC_URL: 'http://status.acme.test', TIME_ZONE: 'Europe/Paris' } });
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    web = createComponent(p.ctx, system, { name: 'Web app' }).id;
    createComponent(p.ctx, system, { name: 'Billing' });
    key = addApiKey(p);
    // A real incident alongside, so that "not in incidents.json" means something.
    incidentId = createIncident(p.ctx, system, { name: 'Billing slow', status: 'identified' }).id;
    id = scheduleMaintenance(p.ctx, system, {
      name: 'Database upgrade',
      body: 'The primary database moves to a new version.',
      scheduled_for: '2026-12-01T02:00:00Z',
      scheduled_until: '2026-12-01T04:00:00Z',
      scheduled_remind_prior: 60,
      component_ids: [api, web],
    }).id;
  });
  after(() => p.close());

  const v1Patch = (incident: Record<string, unknown>) =>
    request(p.app).patch(`/api/v1/pages/${p.ctx.pageId}/incidents/${id}`).set('Authorization', `OAuth ${key}`).send({ incident });

  async function neverAnIncident(where: string): Promise<void> {
    const all = await incidentIds(p, '/api/v2/incidents.json');
    assert.ok(all.includes(incidentId), 'the real incident is listed');
    assert.ok(!all.includes(id), `${where}: maintenance is not in incidents.json`);
    const unresolved = await incidentIds(p, '/api/v2/incidents/unresolved.json');
    assert.ok(!unresolved.includes(id), `${where}: maintenance is not in incidents/unresolved.json`);
    const summary = await getJson(p, '/api/v2/summary.json');
    assert.ok(!arr(summary.incidents, 'summary.incidents').some((i) => obj(i, 'incident').id === id), `${where}: not in summary.incidents`);
  }

  it('before its start: listed as upcoming with its window and options, shown as "Scheduled maintenance"', async () => {
    const all = await windows(p, '/api/v2/scheduled-maintenances.json');
    const m = all.find((w) => w.id === id);
    assert.ok(m, 'in scheduled-maintenances.json');
    checkWindow(m, { ...expected(), status: 'scheduled' }, 'scheduled-maintenances.json');

    const upcoming = await windows(p, '/api/v2/scheduled-maintenances/upcoming.json');
    assert.deepEqual(
      upcoming.map((w) => w.id),
      [id],
    );
    checkWindow(upcoming[0] as Json, { ...expected(), status: 'scheduled' }, 'upcoming.json');
    assert.deepEqual(await windows(p, '/api/v2/scheduled-maintenances/active.json'), []);

    const summary = await windows(p, '/api/v2/summary.json');
    assert.deepEqual(
      summary.map((w) => w.id),
      [id],
    );
    checkWindow(summary[0] as Json, { ...expected(), status: 'scheduled' }, 'summary.json');
    await neverAnIncident('scheduled');

    const page = await request(p.app).get('/').expect(200);
    assert.match(page.text, /Scheduled maintenance/);
    assert.match(page.text, /Database upgrade/);
    assert.match(page.text, /1 Dec 2026, 03:00 UTC\+1/, 'the start in the page zone, with its offset');
    assert.match(page.text, new RegExp(`href="/incidents/${id}\\.ics"`), 'a calendar download');
    assert.doesNotMatch(page.text, /Maintenance in progress/);
  });

  it('at its start: active, components under maintenance, a "Maintenance in progress" banner', async () => {
    p.clock.set('2026-12-01T02:00:00.000Z');
    const run = await runJob(p.ctx, maintenanceJob);
    assert.equal(run?.result, 'ok', run?.error ?? '');

    const active = await windows(p, '/api/v2/scheduled-maintenances/active.json');
    assert.deepEqual(
      active.map((w) => w.id),
      [id],
    );
    checkWindow(active[0] as Json, { ...expected(), status: 'in_progress' }, 'active.json');
    assert.deepEqual(await windows(p, '/api/v2/scheduled-maintenances/upcoming.json'), []);
    const summaryWindows = await windows(p, '/api/v2/summary.json');
    assert.deepEqual(
      summaryWindows.map((w) => w.id),
      [id],
    );
    checkWindow(summaryWindows[0] as Json, { ...expected(), status: 'in_progress' }, 'summary.json');
    const listed = (await windows(p, '/api/v2/scheduled-maintenances.json')).find((w) => w.id === id);
    checkWindow(obj(listed, 'listed'), { ...expected(), status: 'in_progress' }, 'scheduled-maintenances.json');

    const components = arr((await getJson(p, '/api/v2/components.json')).components, 'components').map((c) => obj(c, 'component'));
    assert.equal(components.find((c) => c.id === api)?.status, 'under_maintenance');
    assert.equal(components.find((c) => c.id === web)?.status, 'under_maintenance');
    const status = obj((await getJson(p, '/api/v2/status.json')).status, 'status');
    assert.equal(status.indicator, 'maintenance');
    assert.equal(status.description, 'Service Under Maintenance');
    await neverAnIncident('in progress');

    const page = await request(p.app).get('/').expect(200);
    assert.match(page.text, /Maintenance in progress/);
    assert.match(page.text, /Database upgrade/);
    assert.doesNotMatch(page.text, /<h2[^>]*>Scheduled maintenance<\/h2>/, 'no longer listed as upcoming');
  });

  it('verifying, then completed, through the management API', async () => {
    p.clock.set('2026-12-01T03:30:00.000Z');
    const verifying = await v1Patch({ status: 'verifying', body: 'Checking replication.' });
    assert.equal(verifying.status, 200, verifying.text);
    assert.equal((verifying.body as Json).status, 'verifying');
    const active = await windows(p, '/api/v2/scheduled-maintenances/active.json');
    assert.deepEqual(
      active.map((w) => w.id),
      [id],
      'verifying is still active',
    );
    checkWindow(active[0] as Json, { ...expected(), status: 'verifying' }, 'active.json');
    await neverAnIncident('verifying');

    const completed = await v1Patch({ status: 'completed' });
    assert.equal(completed.status, 200, completed.text);
    assert.equal((completed.body as Json).status, 'completed');
    const listed = (await windows(p, '/api/v2/scheduled-maintenances.json')).find((w) => w.id === id);
    checkWindow(obj(listed, 'listed'), { ...expected(), status: 'completed' }, 'scheduled-maintenances.json');
    assert.deepEqual(await windows(p, '/api/v2/scheduled-maintenances/active.json'), []);
    assert.deepEqual(await windows(p, '/api/v2/scheduled-maintenances/upcoming.json'), []);
    assert.deepEqual(await windows(p, '/api/v2/summary.json'), []);
    const components = arr((await getJson(p, '/api/v2/components.json')).components, 'components').map((c) => obj(c, 'component'));
    assert.equal(components.find((c) => c.id === api)?.status, 'operational');
    assert.equal(components.find((c) => c.id === web)?.status, 'operational');
    await neverAnIncident('completed');

    const page = await request(p.app).get('/').expect(200);
    assert.doesNotMatch(page.text, /Maintenance in progress/);
    assert.doesNotMatch(page.text, /<h2[^>]*>Scheduled maintenance<\/h2>/);
  });
});
