import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { listApiKeys, revokeApiKey } from '../../server/domain/access/api-keys.js';
import { createComponent } from '../../server/domain/page/components.js';
import { createGroup } from '../../server/domain/page/groups.js';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { importCsv } from '../../server/domain/subscribers/import-export.js';
import { v1Routes } from '../../server/http/api/v1.js';
import { declaredRoutes } from '../helpers/routes.js';
import { addApiKey, addUser, signIn, startPharos, type Agent, type TestPharos } from '../helpers/pharos.js';

const system = { type: 'system' } as const;
type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

/** Every row of the tables the API writes, to show that a refused request changed nothing. */
const fingerprint = (p: TestPharos) =>
  JSON.stringify(
    [
      'components',
      'component_groups',
      'incidents',
      'incident_updates',
      'incident_components',
      'events',
      'deliveries',
      'subscribers',
      'endpoints',
      'settings',
      'incident_templates',
      'incident_template_components',
      'alert_groups',
      'alert_drafts',
    ].map((t) => p.ctx.db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()),
  );

/** The management API's authorization matrix: every route × who asks. */
describe('management API access', () => {
  let p: TestPharos;
  let key: string;
  let revoked: string;
  let admin: Agent;
  let routes: { method: Method; pattern: string; path: string; body?: unknown }[];

  before(async () => {
    p = await startPharos();
    await addUser(p, 'admin@example.com', 'admin');
    admin = await signIn(p, 'admin@example.com');
    key = addApiKey(p, 'automation');
    revoked = addApiKey(p, 'revoked');
    revokeApiKey(p.ctx, { type: 'system' }, listApiKeys(p.ctx.db).find((k) => k.name === 'revoked')?.id ?? '');
    const component = createComponent(p.ctx, system, { name: 'API' });
    const spare = createComponent(p.ctx, system, { name: 'Spare' });
    const incident = createIncident(p.ctx, system, { name: 'Attack', components: { [component.id]: 'major_outage' }, deliver_notifications: false });
    const doomed = createIncident(p.ctx, system, { name: 'Doomed', deliver_notifications: false });
    const base = `/api/v1/pages/${p.ctx.pageId}`;
    importCsv(p.ctx, system, 'reader@example.com', true);
    const reader = p.ctx.db.prepare('SELECT id FROM subscribers').pluck().get() as string;
    const update = incident.incident_updates[0]?.id ?? '';
    const group = createGroup(p.ctx, system, { name: 'Region' });
    const doomedGroup = createGroup(p.ctx, system, { name: 'Doomed region' });
    const page = `/api/v1/pages/${p.ctx.pageId}`;
    const past = createIncident(p.ctx, system, { name: 'Past', status: 'resolved', deliver_notifications: false });
    const pm = `${base}/incidents/${past.id}/postmortem`;
    routes = [
      // In this order a valid key can do each: a draft, read it, publish, revert, delete the draft.
      { method: 'put', pattern: 'PUT /incidents/:incident_id/postmortem', path: pm, body: { postmortem: { body_draft: 'What happened.' } } },
      { method: 'get', pattern: 'GET /incidents/:incident_id/postmortem', path: pm },
      { method: 'put', pattern: 'PUT /incidents/:incident_id/postmortem/publish', path: `${pm}/publish`, body: { postmortem: { notify_subscribers: false } } },
      { method: 'put', pattern: 'PUT /incidents/:incident_id/postmortem/revert', path: `${pm}/revert` },
      { method: 'delete', pattern: 'DELETE /incidents/:incident_id/postmortem', path: pm },
      { method: 'get', pattern: 'GET /incidents', path: `${base}/incidents` },
      { method: 'post', pattern: 'POST /incidents', path: `${base}/incidents`, body: { incident: { name: 'Injected' } } },
      { method: 'get', pattern: 'GET /incidents/unresolved', path: `${base}/incidents/unresolved` },
      { method: 'get', pattern: 'GET /incidents/scheduled', path: `${base}/incidents/scheduled` },
      { method: 'get', pattern: 'GET /incidents/upcoming', path: `${base}/incidents/upcoming` },
      { method: 'get', pattern: 'GET /incidents/active_maintenance', path: `${base}/incidents/active_maintenance` },
      { method: 'get', pattern: 'GET /incidents/:incident_id', path: `${base}/incidents/${incident.id}` },
      {
        method: 'patch',
        pattern: 'PATCH /incidents/:incident_id/incident_updates/:update_id',
        path: `${base}/incidents/${incident.id}/incident_updates/${update}`,
        body: { incident_update: { body: 'Edited' } },
      },
      {
        method: 'put',
        pattern: 'PUT /incidents/:incident_id/incident_updates/:update_id',
        path: `${base}/incidents/${incident.id}/incident_updates/${update}`,
        body: { incident_update: { display_at: '2026-11-30T09:00:00Z' } },
      },
      { method: 'patch', pattern: 'PATCH /incidents/:incident_id', path: `${base}/incidents/${incident.id}`, body: { incident: { status: 'resolved' } } },
      { method: 'put', pattern: 'PUT /incidents/:incident_id', path: `${base}/incidents/${incident.id}`, body: { incident: { name: 'Renamed' } } },
      { method: 'delete', pattern: 'DELETE /incidents/:incident_id', path: `${base}/incidents/${doomed.id}` },
      { method: 'get', pattern: 'GET /components', path: `${base}/components` },
      { method: 'post', pattern: 'POST /components', path: `${base}/components`, body: { component: { name: 'Injected' } } },
      { method: 'get', pattern: 'GET /components/:component_id', path: `${base}/components/${component.id}` },
      {
        method: 'patch',
        pattern: 'PATCH /components/:component_id',
        path: `${base}/components/${component.id}`,
        body: { component: { status: 'degraded_performance' } },
      },
      { method: 'put', pattern: 'PUT /components/:component_id', path: `${base}/components/${component.id}`, body: { component: { name: 'Renamed' } } },
      { method: 'delete', pattern: 'DELETE /components/:component_id', path: `${base}/components/${spare.id}` },
      { method: 'get', pattern: 'GET /components/:component_id/uptime', path: `${base}/components/${component.id}/uptime` },
      { method: 'get', pattern: 'GET /component-groups/:id/uptime', path: `${base}/component-groups/${group.id}/uptime` },
      { method: 'get', pattern: 'GET /component-groups', path: `${base}/component-groups` },
      {
        method: 'post',
        pattern: 'POST /component-groups',
        path: `${base}/component-groups`,
        body: { component_group: { name: 'Injected', components: [component.id] } },
      },
      { method: 'get', pattern: 'GET /component-groups/:id', path: `${base}/component-groups/${group.id}` },
      { method: 'patch', pattern: 'PATCH /component-groups/:id', path: `${base}/component-groups/${group.id}`, body: { component_group: { name: 'Renamed' } } },
      { method: 'put', pattern: 'PUT /component-groups/:id', path: `${base}/component-groups/${group.id}`, body: { component_group: { components: [] } } },
      { method: 'delete', pattern: 'DELETE /component-groups/:id', path: `${base}/component-groups/${doomedGroup.id}` },
      { method: 'get', pattern: 'GET /pages', path: '/api/v1/pages' },
      { method: 'get', pattern: 'GET /', path: page },
      { method: 'patch', pattern: 'PATCH /', path: page, body: { page: { name: 'Injected page' } } },
      { method: 'put', pattern: 'PUT /', path: page, body: { page: { time_zone: 'Europe/Paris' } } },
      { method: 'get', pattern: 'GET /incident_templates', path: `${base}/incident_templates` },
      {
        method: 'post',
        pattern: 'POST /incident_templates',
        path: `${base}/incident_templates`,
        body: { template: { name: 'Injected', title: 'Injected', body: 'Text.' } },
      },
      {
        method: 'get',
        pattern: 'GET /subscribers',
        path: `${base}/subscribers?type=webhook&state=all&q=example&limit=5&page=0&sort_field=relevance&sort_direction=desc`,
      },
      {
        method: 'post',
        pattern: 'POST /subscribers',
        path: `${base}/subscribers`,
        body: { subscriber: { email: 'mallory@example.com' } },
      },
      { method: 'get', pattern: 'GET /subscribers/:id', path: `${base}/subscribers/${reader}` },
      { method: 'delete', pattern: 'DELETE /subscribers/:id', path: `${base}/subscribers/${reader}` },
    ];
  });
  after(() => p.close());

  it('covers every route the v1 router declares', () => {
    assert.deepEqual(routes.map((r) => r.pattern).sort(), declaredRoutes(v1Routes(p.ctx)).sort());
  });

  for (const [who, auth] of [
    ['anonymous', undefined],
    ['a revoked key', 'revoked'],
    ['a wrong key', 'pharos_not-a-key'],
    ['a signed-in admin without a key (cookies do not count)', 'cookie'],
    ['a wrong key in the query string', 'query'],
  ] as const) {
    it(`refuses ${who} on every route with a JSON 401, changing nothing`, async () => {
      for (const r of routes) {
        const before = fingerprint(p);
        const client = auth === 'cookie' ? admin : request(p.app);
        const path = auth === 'query' ? `${r.path}${r.path.includes('?') ? '&' : '?'}api_key=pharos_not-a-key` : r.path;
        let req = client[r.method](path).set('Accept', 'application/json');
        if (auth && auth !== 'cookie' && auth !== 'query') req = req.set('Authorization', `OAuth ${auth === 'revoked' ? revoked : auth}`);
        const res = await (r.body ? req.send(r.body) : req);
        assert.equal(res.status, 401, `${who}: ${r.pattern}`);
        assert.equal((res.body as { error?: { code?: string } } | undefined)?.error?.code, 'unauthorized', `${who}: ${r.pattern}`);
        assert.equal(fingerprint(p), before, `${who}: ${r.pattern} changed the database`);
      }
    });
  }

  it('lets a valid key do everything (OAuth, Bearer and ?api_key=; with and without .json)', async () => {
    for (const [i, r] of routes.entries()) {
      // Every other route with Statuspage's .json suffix, before its query string.
      const [path = '', query] = r.path.split('?');
      const suffixed = i % 2 ? `${path}.json` : path;
      const how = (['OAuth', 'Bearer', 'query'] as const)[i % 3];
      const params = [query, how === 'query' ? `api_key=${encodeURIComponent(key)}` : undefined].filter(Boolean).join('&');
      let req = request(p.app)[r.method](params ? `${suffixed}?${params}` : suffixed);
      if (how !== 'query') req = req.set('Authorization', `${how} ${key}`);
      const res = await (r.body ? req.send(r.body) : req);
      assert.ok(res.status >= 200 && res.status < 300, `${r.pattern} (${how}${i % 2 ? ', .json' : ''}): ${res.status} ${res.text.slice(0, 200)}`);
    }
  });

  it('does not let an API key into the admin side', async () => {
    for (const path of ['/admin', '/admin/users', '/admin/api-keys']) {
      const res = await request(p.app).get(path).set('Authorization', `OAuth ${key}`);
      assert.equal(res.status, 303, path);
      assert.match(String(res.headers.location), /^\/admin\/login/);
    }
    await request(p.app).post('/admin/components').set('Authorization', `OAuth ${key}`).type('form').send({ name: 'x' }).expect(401);
  });
});
