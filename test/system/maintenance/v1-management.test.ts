import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createComponent } from '../../../server/domain/page/components.js';
import { addApiKey, startPharos, type TestPharos } from '../../helpers/pharos.js';
import { arr, obj } from '../../helpers/statuspage.js';
import { checkWindow, incidentIds, system, windows } from './api-world.js';

/** Scheduled maintenance as automation drives it (the v1 management API). */

describe('scheduled maintenance in the management API (v1)', () => {
  let p: TestPharos;
  let api = '';
  let web = '';
  let key = '';
  let base = '';
  let id = '';

  before(async () => {
    p = await startPharos({ env: { PUBLIC_URL: 'http://status.acme.test', TIME_ZONE: 'Europe/Paris' } });
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    web = createComponent(p.ctx, system, { name: 'Web app' }).id;
    key = addApiKey(p);
    base = `/api/v1/pages/${p.ctx.pageId}`;
  });
  after(() => p.close());

  const call = (method: 'get' | 'post' | 'patch', path: string, body?: unknown) => {
    const req = request(p.app)
      [method](base + path)
      .set('Authorization', `OAuth ${key}`);
    return body === undefined ? req : req.send(body as object);
  };
  const count = () => p.ctx.db.prepare('SELECT COUNT(*) FROM incidents').pluck().get() as number;
  const componentStatus = async (c: string) => obj((await call('get', `/components/${c}`).expect(200)).body as unknown, 'component').status;

  it('POST an incident with scheduled_for and scheduled_until creates a maintenance window (201, scheduled)', async () => {
    const res = await call('post', '/incidents', {
      incident: {
        name: 'Network switch replacement',
        scheduled_for: '2026-12-10T01:00:00Z',
        scheduled_until: '2026-12-10T03:00:00Z',
        scheduled_remind_prior: true,
        scheduled_auto_in_progress: true,
        scheduled_auto_completed: true,
        component_ids: [api, web],
        body: 'The core switch is replaced; short interruptions are expected.',
      },
    });
    assert.equal(res.status, 201, res.text);
    const m = obj(res.body as unknown, 'created');
    id = String(m.id);
    checkWindow(
      m,
      {
        id,
        status: 'scheduled',
        from: '2026-12-10T01:00:00Z',
        until: '2026-12-10T03:00:00Z',
        remind: true,
        autoStart: true,
        autoComplete: true,
        components: [api, web],
      },
      'v1 created',
    );
    const updates = arr(m.incident_updates, 'updates');
    assert.match(String(obj(updates[0], 'update').body), /core switch/);

    const fetched = obj((await call('get', `/incidents/${id}`).expect(200)).body as unknown, 'fetched');
    assert.equal(fetched.scheduled_for, m.scheduled_for);
    const list = arr((await call('get', '/incidents').expect(200)).body as unknown, 'list');
    assert.ok(
      list.some((i) => obj(i, 'incident').id === id),
      'listed by the management API',
    );
    const upcoming = await windows(p, '/api/v2/scheduled-maintenances/upcoming.json');
    assert.deepEqual(
      upcoming.map((w) => w.id),
      [id],
      'and upcoming in v2',
    );
    assert.ok(!(await incidentIds(p, '/api/v2/incidents.json')).includes(id));
    assert.equal(await componentStatus(api), 'operational', 'nothing changes before the window');
  });

  it('refuses an end before the start with 422 naming incident.scheduled_until, creating nothing', async () => {
    const before = count();
    for (const until of ['2026-12-10T00:00:00Z', '2026-12-10T01:00:00Z']) {
      const res = await call('post', '/incidents', {
        incident: { name: 'Backwards', scheduled_for: '2026-12-10T01:00:00Z', scheduled_until: until, component_ids: [api] },
      });
      assert.equal(res.status, 422, res.text);
      const error = obj(obj(res.body as unknown, 'body').error, 'error');
      const fields = obj(error.fields, 'error.fields');
      assert.ok('incident.scheduled_until' in fields, `names incident.scheduled_until: ${JSON.stringify(fields)}`);
    }
    const missing = await call('post', '/incidents', { incident: { name: 'Open-ended', scheduled_for: '2026-12-10T01:00:00Z', component_ids: [api] } });
    assert.equal(missing.status, 422, missing.text);
    assert.ok('incident.scheduled_until' in obj(obj(obj(missing.body as unknown, 'body').error, 'error').fields, 'fields'));
    assert.equal(count(), before);
    // Moving an existing window backwards is refused the same way.
    const res = await call('patch', `/incidents/${id}`, { incident: { scheduled_until: '2026-12-09T00:00:00Z' } });
    assert.equal(res.status, 422, res.text);
    assert.ok('incident.scheduled_until' in obj(obj(obj(res.body as unknown, 'body').error, 'error').fields, 'fields'));
  });

  it('PATCH status in_progress starts it, completed ends it', async () => {
    p.clock.set('2026-12-10T01:05:00.000Z');
    const started = await call('patch', `/incidents/${id}`, { incident: { status: 'in_progress' } });
    assert.equal(started.status, 200, started.text);
    assert.equal(obj(started.body as unknown, 'started').status, 'in_progress');
    assert.equal(await componentStatus(api), 'under_maintenance');
    assert.equal(await componentStatus(web), 'under_maintenance');
    assert.deepEqual(
      (await windows(p, '/api/v2/scheduled-maintenances/active.json')).map((w) => w.id),
      [id],
    );

    p.clock.set('2026-12-10T02:00:00.000Z');
    const done = await call('patch', `/incidents/${id}`, { incident: { status: 'completed', body: 'All done.' } });
    assert.equal(done.status, 200, done.text);
    const m = obj(done.body as unknown, 'done');
    assert.equal(m.status, 'completed');
    assert.ok(typeof m.resolved_at === 'string', 'resolved_at is set on completion');
    assert.equal(await componentStatus(api), 'operational');
    assert.equal(await componentStatus(web), 'operational');
    assert.deepEqual(await windows(p, '/api/v2/scheduled-maintenances/active.json'), []);
  });

  it('scheduled_remind_prior false means no reminder; a status of an incident is refused for a window', async () => {
    const res = await call('post', '/incidents', {
      incident: {
        name: 'No reminder',
        scheduled_for: '2026-12-11T01:00:00Z',
        scheduled_until: '2026-12-11T02:00:00Z',
        scheduled_remind_prior: false,
        scheduled_auto_in_progress: false,
        scheduled_auto_completed: false,
        component_ids: [api],
      },
    });
    assert.equal(res.status, 201, res.text);
    const m = obj(res.body as unknown, 'created');
    assert.equal(m.scheduled_remind_prior, false);
    assert.equal(m.scheduled_auto_in_progress, false);
    assert.equal(m.scheduled_auto_completed, false);
    const wrong = await call('patch', `/incidents/${String(m.id)}`, { incident: { status: 'resolved' } });
    assert.equal(wrong.status, 422, wrong.text);
  });
});
