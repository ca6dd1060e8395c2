import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createComponent, updateComponent } from '../../../server/domain/page/components.js';
import { createIncident, patchIncident } from '../../../server/domain/incidents/writes.js';
import { addApiKey, startPharos, type TestPharos } from '../../helpers/pharos.js';
import { listApiKeys, revokeApiKey } from '../../../server/domain/access/api-keys.js';

const system = { type: 'system' } as const;

/** Alertmanager's webhook (version 4), as it sends it. */
function notice(
  groupKey: string,
  status: 'firing' | 'resolved',
  alerts: { labels: Record<string, string>; annotations?: Record<string, string>; status?: string }[],
  extra: object = {},
) {
  return {
    version: '4',
    groupKey,
    status,
    receiver: 'pharos',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example',
    truncatedAlerts: 0,
    alerts: alerts.map((a, i) => ({
      status: a.status ?? status,
      labels: a.labels,
      annotations: a.annotations ?? {},
      startsAt: '2026-11-30T10:00:00Z',
      fingerprint: `f${i}`,
    })),
    ...extra,
  };
}

/** The mapping and the rules of the alert receivers, over HTTP. */
describe('alerts in: mapping and rules', () => {
  let p: TestPharos;
  let key: string;
  let api: string;
  let web: string;
  const send = (body: unknown, source = 'alertmanager') =>
    request(p.app)
      .post(`/api/integrations/${source}`)
      .set('Authorization', `Bearer ${key}`)
      .send(body as object);
  const statusOf = (id: string) => p.ctx.db.prepare('SELECT status FROM components WHERE id = ?').pluck().get(id);
  const incident = (id: string) => p.ctx.db.prepare('SELECT name, status FROM incidents WHERE id = ?').get(id) as { name: string; status: string };

  before(async () => {
    p = await startPharos();
    key = addApiKey(p, 'alertmanager');
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    web = createComponent(p.ctx, system, { name: 'Web app' }).id;
  });
  after(() => p.close());

  it('refuses without a key (401) and a payload that will never succeed (422 naming the field), changing nothing', async () => {
    const count = () => p.ctx.db.prepare('SELECT COUNT(*) FROM incidents').pluck().get();
    await request(p.app)
      .post('/api/integrations/alertmanager')
      .send(notice('g', 'firing', [{ labels: { alertname: 'A' } }]))
      .expect(401);
    await request(p.app)
      .post('/api/integrations/grafana')
      .set('Authorization', 'Bearer pharos_wrong')
      .send(notice('g', 'firing', [{ labels: {} }]))
      .expect(401);
    const revoked = addApiKey(p, 'old');
    revokeApiKey(p.ctx, system, listApiKeys(p.ctx.db).find((k) => k.name === 'old')?.id ?? '');
    await request(p.app)
      .post('/api/integrations/alertmanager')
      .set('Authorization', `Bearer ${revoked}`)
      .send(notice('g', 'firing', [{ labels: {} }]))
      .expect(401);
    for (const [body, field] of [
      [{ ...notice('g', 'firing', [{ labels: {} }]), version: '3' }, 'version'],
      [{ ...notice('g', 'firing', [{ labels: {} }]), groupKey: '' }, 'groupKey'],
      [notice('g', 'firing', [{ labels: { alertname: 'A', component: 'Nope' } }]), 'alerts[0].labels.component'],
      [
        notice('g', 'firing', [{ labels: { alertname: 'A', component: 'API' }, annotations: { pharos_component_status: 'on fire' } }]),
        'alerts[0].annotations.pharos_component_status',
      ],
      [{ ...notice('g', 'firing', []) }, 'alerts'],
    ] as const) {
      const res = await send(body);
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.ok((res.body as { error: { fields: Record<string, string> } }).error.fields[field], `${field} in ${JSON.stringify(res.body)}`);
    }
    assert.equal(count(), 0);
  });

  it('maps labels: several components by name or id, severity to status, the override annotation, notifications off', async () => {
    const res = await send(
      notice('multi', 'firing', [
        { labels: { alertname: 'Slow', severity: 'warning', components: `API, ${web}`, pharos_notify: 'false' } },
        { labels: { alertname: 'Down', severity: 'critical', component: 'web app' } },
        { labels: { alertname: 'Odd', pharos_component: 'API' }, annotations: { pharos_component_status: 'under_maintenance' } },
      ]),
    ).expect(201);
    const id = (res.body as { incident_id: string }).incident_id;
    assert.equal(statusOf(api), 'degraded_performance', 'the worst of warning and maintenance');
    assert.equal(statusOf(web), 'major_outage', 'critical wins');
    assert.equal(incident(id).name, 'Slow', 'no summary: the alert name');
    assert.equal(p.ctx.db.prepare('SELECT deliver_notifications FROM incident_updates WHERE incident_id = ?').pluck().get(id), 0);
    await send(notice('multi', 'resolved', [{ labels: { alertname: 'Slow', components: 'API' } }])).expect(200);
    assert.equal(incident(id).status, 'resolved');
  });

  it("an operator's update or rename wins over later alerts for status and name; truncated alerts are mentioned", async () => {
    const opened = await send(
      notice('ops', 'firing', [{ labels: { alertname: 'Queue', severity: 'major', component: 'API' }, annotations: { summary: 'Queue backlog' } }]),
    ).expect(201);
    const id = (opened.body as { incident_id: string }).incident_id;
    assert.equal(statusOf(api), 'partial_outage');
    patchIncident(p.ctx, { type: 'user', id: 'u', email: 'op@example.com', name: 'Operator' }, id, {
      name: 'Message queue backlog',
      status: 'identified',
      body: 'A consumer is stuck.',
    });
    await send(
      notice('ops', 'firing', [{ labels: { alertname: 'Queue', severity: 'critical', component: 'API' }, annotations: { summary: 'Queue backlog' } }], {
        truncatedAlerts: 3,
      }),
    ).expect(200);
    assert.deepEqual(incident(id), { name: 'Message queue backlog', status: 'identified' });
    assert.equal(statusOf(api), 'major_outage', 'alerts still set components');
    const last = p.ctx.db.prepare('SELECT body, status FROM incident_updates WHERE incident_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1').get(id) as {
      body: string;
      status: string;
    };
    assert.equal(last.status, 'identified');
    assert.match(last.body, /3 more alerts not listed \(truncated by the sender\)/);
    await send(notice('ops', 'resolved', [{ labels: { alertname: 'Queue', component: 'API' } }])).expect(200);
    assert.equal(incident(id).status, 'identified', 'the operator resolves it');
    assert.equal(statusOf(api), 'operational', 'the component the alerts set is released');
    patchIncident(p.ctx, system, id, { status: 'resolved' });
  });

  it('a resolved alert leaves a component an operator changed, and one another open incident holds', async () => {
    const opened = await send(notice('held', 'firing', [{ labels: { alertname: 'Both', severity: 'critical', components: 'API,Web app' } }])).expect(201);
    const id = (opened.body as { incident_id: string }).incident_id;
    updateComponent(p.ctx, system, api, { status: 'degraded_performance' });
    createIncident(p.ctx, system, { name: 'Web app outage', components: { [web]: 'major_outage' } });
    await send(notice('held', 'resolved', [{ labels: { alertname: 'Both', components: 'API,Web app' } }])).expect(200);
    assert.equal(incident(id).status, 'resolved');
    assert.equal(statusOf(api), 'degraded_performance', "the operator's status stays");
    assert.equal(statusOf(web), 'major_outage', 'the other incident holds it');
  });

  it("Grafana's webhook: its title names the incident, its message is the update", async () => {
    const res = await send(
      {
        receiver: 'pharos',
        status: 'firing',
        orgId: 1,
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'HighLatency', component: 'API', severity: 'critical' },
            annotations: {},
            startsAt: '2026-11-30T10:00:00Z',
            fingerprint: 'g1',
          },
        ],
        groupLabels: {},
        commonLabels: { alertname: 'HighLatency' },
        commonAnnotations: {},
        externalURL: 'http://grafana.example/',
        version: '1',
        groupKey: '{}:{alertname="HighLatency"}',
        truncatedAlerts: 0,
        title: '[FIRING:1] HighLatency',
        state: 'alerting',
        message: 'p99 latency above 2 s',
      },
      'grafana',
    ).expect(201);
    const id = (res.body as { incident_id: string }).incident_id;
    assert.equal(incident(id).name, '[FIRING:1] HighLatency');
    assert.match(p.ctx.db.prepare('SELECT body FROM incident_updates WHERE incident_id = ?').pluck().get(id) as string, /p99 latency above 2 s/);
  });

  it('bounds truncatedAlerts: a whole number up to a billion is shown, anything else is a 422 naming it and changes nothing', async () => {
    const incidents = () => p.ctx.db.prepare('SELECT COUNT(*) FROM incidents').pluck().get() as number;
    const before = incidents();
    for (const bad of [1e300, 1_000_000_001, -1, 1.5, '3', null]) {
      const res = await send(notice('truncated', 'firing', [{ labels: { alertname: 'Many', component: 'API' } }], { truncatedAlerts: bad })).expect(422);
      const fields = (res.body as { error: { fields: Record<string, string> } }).error.fields;
      assert.match(fields.truncatedAlerts ?? '', /A whole number from 0 to 1,000,000,000/, `truncatedAlerts: ${String(bad)}`);
      assert.equal(incidents(), before, `truncatedAlerts: ${String(bad)} changed nothing`);
    }
    const res = await send(notice('truncated', 'firing', [{ labels: { alertname: 'Many', component: 'API' } }], { truncatedAlerts: 1_000_000_000 })).expect(
      201,
    );
    const id = (res.body as { incident_id: string }).incident_id;
    assert.match(p.ctx.db.prepare('SELECT body FROM incident_updates WHERE incident_id = ?').pluck().get(id) as string, /1000000000 more alerts not listed/);
    await send(notice('truncated', 'resolved', [{ labels: { alertname: 'Many', component: 'API' } }])).expect(200);
  });

  it('takes what alerting really sends: a multi-line or padded summary, control characters, empty fields', async () => {
    const opened = await send(
      notice('real', 'firing', [
        {
          labels: { alertname: 'Padded', component: 'API', severity: 'critical' },
          annotations: {
            summary: '  Queue\u0007 backlog  \nsecond line\n',
            description: '\u001b[31mred\u001b[0m text\n    indented https://grafana.example.com/d/x',
          },
        },
      ]),
    ).expect(201);
    const id = (opened.body as { incident_id: string }).incident_id;
    assert.equal(incident(id).name, 'Queue backlog');
    const body = p.ctx.db.prepare('SELECT body FROM incident_updates WHERE incident_id = ?').pluck().get(id) as string;
    assert.ok(!body.includes('\u001b'), 'no escape character');
    const page = (await request(p.app).get(`/incidents/${id}`).expect(200)).text;
    assert.doesNotMatch(page, /<a href="https:\/\/grafana/, 'no link made of alert text');
    assert.doesNotMatch(page, /<pre>|<code>/, 'no code block from indentation');
    // The padded name was stored trimmed: the resolved notification still resolves (no false takeover).
    await send(notice('real', 'resolved', [{ labels: { alertname: 'Padded', component: 'API' }, annotations: { summary: '  Queue backlog  ' } }])).expect(200);
    assert.equal(incident(id).status, 'resolved');
    const empty = await send(notice('empty', 'firing', [{ labels: { alertname: 'NoSummary' }, annotations: { summary: '' } }])).expect(201);
    assert.equal(incident((empty.body as { incident_id: string }).incident_id).name, 'NoSummary');
    await send(notice('empty', 'resolved', [{ labels: { alertname: 'NoSummary' } }])).expect(200);
  });

  it('the same alerts again after an operator resolved their incident change nothing; a component the operator added keeps its status', async () => {
    // A clean page: the earlier cases' incidents resolved.
    for (const id of p.ctx.db.prepare("SELECT id FROM incidents WHERE status NOT IN ('resolved', 'postmortem')").pluck().all() as string[]) {
      patchIncident(p.ctx, system, id, { status: 'resolved' });
    }
    const opened = await send(notice('again', 'firing', [{ labels: { alertname: 'False', component: 'API', severity: 'warning' } }])).expect(201);
    const id = (opened.body as { incident_id: string }).incident_id;
    const repeat = await send(notice('again', 'firing', [{ labels: { alertname: 'False', component: 'API', severity: 'warning' } }])).expect(200);
    assert.equal((repeat.body as { result: string }).result, 'unchanged', 'a repeat while it is open');
    assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM incident_updates WHERE incident_id = ?').pluck().get(id), 1);
    patchIncident(p.ctx, system, id, { status: 'resolved', body: 'A false alarm.' });
    const again = await send(notice('again', 'firing', [{ labels: { alertname: 'False', component: 'API', severity: 'warning' } }])).expect(200);
    assert.equal((again.body as { result: string }).result, 'unchanged');
    assert.equal(p.ctx.db.prepare("SELECT COUNT(*) FROM incidents WHERE name = 'False'").pluck().get(), 1);
    // A new incident; the operator adds the Web app to it with a status of its own.
    const second = await send(notice('added', 'firing', [{ labels: { alertname: 'Api', component: 'API', severity: 'critical' } }])).expect(201);
    const sid = (second.body as { incident_id: string }).incident_id;
    patchIncident(p.ctx, system, sid, { components: { [web]: 'partial_outage' } });
    await send(notice('added', 'resolved', [{ labels: { alertname: 'Api', component: 'API' } }])).expect(200);
    assert.equal(incident(sid).status, 'resolved');
    assert.equal(statusOf(api), 'operational');
    assert.equal(statusOf(web), 'partial_outage', "the operator's component keeps its status");
  });
});
