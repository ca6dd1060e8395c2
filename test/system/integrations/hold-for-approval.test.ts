import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createComponent } from '../../../server/domain/page/components.js';
import { importCsv } from '../../../server/domain/subscribers/import-export.js';
import { addApiKey, addUser, confirmAccess, settleMail, signIn, startPharos, submit, type Agent, type TestPharos } from '../../helpers/pharos.js';

const system = { type: 'system' } as const;
const fire = (groupKey: string, status: 'firing' | 'resolved', severity = 'critical') => ({
  version: '4',
  groupKey,
  status,
  commonLabels: { alertname: 'DbDown', component: 'Database', severity },
  commonAnnotations: { summary: 'Database unreachable' },
  truncatedAlerts: 0,
  alerts: [{ status, labels: { alertname: 'DbDown', component: 'Database', severity }, annotations: {}, fingerprint: 'db' }],
});

/** "Alerts open draft incidents": per API key; nothing reaches viewers or subscribers until an operator publishes. */
describe('alerts held for approval', () => {
  let p: TestPharos;
  let key: string;
  let admin: Agent;
  let db: string;
  const send = (body: unknown) =>
    request(p.app)
      .post('/api/integrations/alertmanager')
      .set('Authorization', `Bearer ${key}`)
      .send(body as object);
  const count = (sql: string) => p.ctx.db.prepare(sql).pluck().get() as number;

  before(async () => {
    p = await startPharos();
    key = addApiKey(p, 'alertmanager');
    db = createComponent(p.ctx, system, { name: 'Database' }).id;
    importCsv(p.ctx, system, 'email\nreader@example.com', true);
    await addUser(p, 'admin@example.com', 'admin');
    admin = await signIn(p, 'admin@example.com');
    await confirmAccess(admin);
  });
  after(() => p.close());

  it('an admin sets a key to hold its alerts', async () => {
    const keyId = p.ctx.db.prepare("SELECT id FROM api_keys WHERE name = 'alertmanager'").pluck().get() as string;
    const res = await submit(admin, '/admin/api-keys', `/admin/api-keys/${keyId}/hold-alerts`, { hold: 'on' });
    assert.equal(res.status, 303);
    assert.match((await admin.get('/admin/api-keys').expect(200)).text, /open drafts <button/);
  });

  it('a firing alert opens a draft: the page, the API and the subscribers see nothing; the dashboard shows it', async () => {
    const before = (await request(p.app).get('/api/v2/summary.json').expect(200)).text;
    const res = await send(fire('g1', 'firing')).expect(200);
    assert.equal((res.body as { result: string }).result, 'held');
    await settleMail(p);
    assert.equal(count('SELECT COUNT(*) FROM incidents'), 0);
    assert.equal(p.ctx.db.prepare('SELECT status FROM components WHERE id = ?').pluck().get(db), 'operational');
    assert.equal(count("SELECT COUNT(*) FROM deliveries WHERE kind = 'incident_update'"), 0);
    assert.equal((await request(p.app).get('/api/v2/summary.json').expect(200)).text, before);
    assert.doesNotMatch((await request(p.app).get('/').expect(200)).text, /Database unreachable/);
    const dashboard = (await admin.get('/admin').expect(200)).text;
    assert.match(dashboard, /Alerts waiting for approval/);
    assert.match(dashboard, /Database unreachable/);
    // A repeat changes nothing; a change updates the draft, still unseen.
    assert.equal(((await send(fire('g1', 'firing')).expect(200)).body as { result: string }).result, 'unchanged');
    assert.equal(((await send(fire('g1', 'firing', 'warning')).expect(200)).body as { result: string }).result, 'held');
    assert.equal(count('SELECT COUNT(*) FROM incidents'), 0);
  });

  it('publishing opens the incident as the alerts ask, notifies, and later alerts follow it', async () => {
    const draft = p.ctx.db.prepare("SELECT id FROM alert_drafts WHERE group_key = 'g1'").pluck().get() as string;
    const res = await submit(admin, '/admin', `/admin/alert-drafts/${draft}/publish`, {});
    assert.equal(res.status, 303);
    assert.match(String(res.headers.location), /^\/admin\/incidents\/[a-z0-9]+$/);
    assert.equal(p.ctx.db.prepare('SELECT status FROM components WHERE id = ?').pluck().get(db), 'degraded_performance');
    assert.equal(count("SELECT COUNT(*) FROM deliveries WHERE kind = 'incident_update' AND recipient = 'reader@example.com'"), 1);
    assert.equal(count('SELECT COUNT(*) FROM alert_drafts'), 0);
    assert.equal(count("SELECT COUNT(*) FROM audit_log WHERE action = 'alert.draft_published' AND actor LIKE '%admin@example.com%'"), 1);
    assert.equal(((await send(fire('g1', 'firing', 'critical')).expect(200)).body as { result: string }).result, 'updated');
    assert.equal(p.ctx.db.prepare('SELECT status FROM components WHERE id = ?').pluck().get(db), 'major_outage');
    assert.equal(((await send(fire('g1', 'resolved')).expect(200)).body as { result: string }).result, 'resolved');
  });

  it('a draft whose alerts resolve before anyone publishes goes away; Discard drops one', async () => {
    await send(fire('g2', 'firing')).expect(200);
    assert.equal(((await send(fire('g2', 'resolved')).expect(200)).body as { result: string }).result, 'discarded');
    await send(fire('g3', 'firing')).expect(200);
    const draft = p.ctx.db.prepare("SELECT id FROM alert_drafts WHERE group_key = 'g3'").pluck().get() as string;
    assert.equal((await submit(admin, '/admin', `/admin/alert-drafts/${draft}/discard`, {})).status, 303);
    assert.equal(count('SELECT COUNT(*) FROM alert_drafts'), 0);
    assert.equal(count("SELECT COUNT(*) FROM incidents WHERE status <> 'resolved'"), 0);
  });
});
