import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createComponent } from '../../../server/domain/page/components.js';
import { addApiKey, startPharos, systemClockPharos, type TestPharos } from '../../helpers/pharos.js';
import { TestAlertmanager } from '../../helpers/alertmanager.js';
import { sleep } from '../../helpers/process.js';
import { setHoldAlerts } from '../../../server/domain/access/api-keys.js';
import { publishDraft } from '../../../server/domain/incidents/alert-drafts.js';

const system = { type: 'system' } as const;

/** A real Alertmanager, fired and ended with amtool, pointed at a real Pharos on loopback. */
describe('Alertmanager → Pharos', () => {
  let p: TestPharos;
  let am: TestAlertmanager;
  let api: string;
  let web: string;
  const incidents = () =>
    p.ctx.db.prepare('SELECT id, name, status, impact FROM incidents ORDER BY created_at').all() as {
      id: string;
      name: string;
      status: string;
      impact: string;
    }[];
  const statusOf = (id: string) => p.ctx.db.prepare('SELECT status FROM components WHERE id = ?').pluck().get(id);
  const updates = (id: string) => p.ctx.db.prepare('SELECT COUNT(*) FROM incident_updates WHERE incident_id = ?').pluck().get(id) as number;
  async function eventually(check: () => void | Promise<void>, ms = 15_000): Promise<void> {
    const until = Date.now() + ms;
    for (;;) {
      try {
        await check();
        return;
      } catch (err) {
        if (Date.now() > until) throw new Error(`${String(err)}\nAlertmanager said:\n${am.output}`);
        await sleep(100);
      }
    }
  }

  before(async () => {
    p = await startPharos({ listen: true, ...systemClockPharos() });
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    web = createComponent(p.ctx, system, { name: 'Web app' }).id;
    am = new TestAlertmanager();
    await am.start(`${p.url}/api/integrations/alertmanager`, addApiKey(p, 'alertmanager'));
  });
  after(async () => {
    await am?.stop();
    await p.close();
  });

  const first = { alertname: 'ApiErrors', severity: 'critical', component: 'api', instance: 'a' };
  const second = { alertname: 'ApiErrors', severity: 'warning', component: 'Web app', instance: 'b' };
  const notes = { summary: 'Elevated API errors', description: 'More than 10% of requests fail *right now*' };

  it('a firing alert opens an incident with the mapped component status; a repeat changes nothing', async () => {
    await am.fire(first, notes);
    await eventually(() => assert.equal(incidents().length, 1));
    const [incident] = incidents();
    assert.ok(incident);
    assert.equal(incident.name, 'Elevated API errors');
    assert.equal(incident.status, 'investigating');
    assert.equal(incident.impact, 'critical');
    assert.equal(statusOf(api), 'major_outage');
    const body = p.ctx.db.prepare('SELECT body FROM incident_updates WHERE incident_id = ?').pluck().get(incident.id) as string;
    assert.match(body, /More than 10\\% of requests fail \\\*right now\\\*/, 'plain text: Markdown escaped');
    // amtool again with the same alert: Alertmanager and Pharos both see nothing new.
    await am.fire(first, notes);
    await sleep(2500);
    assert.equal(incidents().length, 1);
    assert.equal(updates(incident.id), 1);
  });

  it('a second alert in the group updates the incident', async () => {
    const [incident] = incidents();
    assert.ok(incident);
    await am.fire(second, notes);
    await eventually(() => assert.equal(updates(incident.id), 2));
    assert.equal(statusOf(web), 'degraded_performance');
    assert.equal(statusOf(api), 'major_outage');
    const body = p.ctx.db
      .prepare('SELECT body FROM incident_updates WHERE incident_id = ? ORDER BY created_at DESC LIMIT 1')
      .pluck()
      .get(incident.id) as string;
    assert.match(body, /2 alerts firing: ApiErrors/);
  });

  it('ending the alerts resolves the incident and the components return to operational', async () => {
    const [incident] = incidents();
    assert.ok(incident);
    await am.resolve(first, notes);
    await am.resolve(second, notes);
    await eventually(() => assert.equal(incidents()[0]?.status, 'resolved'));
    assert.equal(statusOf(api), 'operational');
    assert.equal(statusOf(web), 'operational');
  });

  it('with the key holding its alerts, a firing alert opens a draft nobody sees until an operator publishes it', async () => {
    const keyId = p.ctx.db.prepare("SELECT id FROM api_keys WHERE name = 'alertmanager'").pluck().get() as string;
    setHoldAlerts(p.ctx, system, keyId, true);
    const before = incidents().length;
    const summary = await (await fetch(`${p.url}/api/v2/summary.json`)).text();
    await am.fire({ alertname: 'DiskFull', severity: 'critical', component: 'Web app' }, { summary: 'Disk full on the web servers' });
    await eventually(() => assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM alert_drafts').pluck().get(), 1));
    assert.equal(incidents().length, before);
    assert.equal(statusOf(web), 'operational');
    assert.equal(await (await fetch(`${p.url}/api/v2/summary.json`)).text(), summary, 'viewers see nothing');
    const draft = p.ctx.db.prepare('SELECT id FROM alert_drafts').pluck().get() as string;
    publishDraft(p.ctx, { type: 'user', id: 'op', email: 'op@example.com', name: 'Operator' }, draft);
    assert.equal(incidents().length, before + 1);
    assert.equal(statusOf(web), 'major_outage');
    await am.resolve({ alertname: 'DiskFull', severity: 'critical', component: 'Web app' }, { summary: 'Disk full on the web servers' });
    await eventually(() => assert.equal(statusOf(web), 'operational'));
    setHoldAlerts(p.ctx, system, keyId, false);
  });

  it('a payload that will never succeed gets a 4xx, which Alertmanager does not retry', async () => {
    // Alertmanager retries a failed request within a notification (with backoff) only for a 5xx; a 4xx
    // fails the notification at its first request. (It tries the group again at its next interval.)
    const before = incidents().length;
    const notifications = () => am.metric('alertmanager_notifications_failed_total{integration="webhook"');
    const requests = () => am.metric('alertmanager_notification_requests_failed_total{integration="webhook"');
    await am.fire({ alertname: 'Typo', severity: 'critical', component: 'No such thing' }, { summary: 'Typo' });
    await eventually(async () => assert.ok((await notifications()) >= 2));
    assert.equal(await requests(), await notifications(), 'one request per failed notification: never retried');
    assert.equal(incidents().length, before);
  });
});
