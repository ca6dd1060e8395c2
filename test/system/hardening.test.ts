import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { ConfigError, loadConfig } from '../../server/config.js';
import { createContext } from '../../server/compose.js';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { getIncident } from '../../server/domain/incidents/queries.js';
import { issueSetupToken } from '../../server/domain/page/settings.js';
import { createLog } from '../../server/log.js';
import { fromZonedInput } from '../../server/lib/time.js';
import { addApiKey, addUser, csrfOf, FakeClock, signIn, startPharos, submit, type TestPharos } from '../helpers/pharos.js';

const system = { type: 'system' } as const;

describe('hardening', () => {
  it('never echoes a secret in a configuration error', () => {
    for (const [variable, value] of [
      ['ADMIN_PASSWORD', 'hunter2'],
      ['SESSION_SECRET', 'tooshortsecret'],
      ['SMTP_URL', 'http://user:pa55word@mail.example.com'],
    ] as const) {
      const env: Record<string, string> = { [variable]: value };
      if (variable === 'ADMIN_PASSWORD') env.ADMIN_EMAIL = 'ops@example.com';
      assert.throws(
        () => loadConfig(env),
        (err: unknown) => err instanceof ConfigError && err.variable === variable && !err.message.includes(value.slice(-7)),
      );
    }
  });

  it('refuses wall-clock times the zone never shows', () => {
    assert.equal(fromZonedInput('2026-02-30T10:00', 'Etc/UTC'), undefined);
    assert.equal(fromZonedInput('2026-01-01T24:99', 'Etc/UTC'), undefined);
    assert.equal(fromZonedInput('2026-03-29T02:30', 'Europe/Paris'), undefined, 'skipped when clocks go forward');
    assert.equal(fromZonedInput('2026-03-29T03:30', 'Europe/Paris')?.toISOString(), '2026-03-29T01:30:00.000Z');
    assert.equal(fromZonedInput('2026-07-01T12:00', 'America/New_York')?.toISOString(), '2026-07-01T16:00:00.000Z');
  });
});

describe('hardening: a page in Europe/Paris', () => {
  let p: TestPharos;
  before(async () => {
    p = await startPharos({ env: { TIME_ZONE: 'Europe/Paris' }, clock: new FakeClock('2026-03-29T22:30:00.000Z') });
    await addUser(p, 'admin@example.com');
  });
  after(() => p.close());

  it('lists every calendar day of the past week across a change of clocks', async () => {
    const html = (await request(p.app).get('/')).text;
    const days = [...html.matchAll(/<h3 class="day__date">([^<]+)<\/h3>/g)].map((m) => m[1]);
    assert.deepEqual(days, ['30 March 2026', '29 March 2026', '28 March 2026', '27 March 2026', '26 March 2026', '25 March 2026', '24 March 2026']);
  });

  it('saving the edit form unchanged does not move the start time', async () => {
    const incident = createIncident(p.ctx, system, { name: 'Precise', started_at: '2026-03-29T20:30:42.123Z' });
    const admin = await signIn(p, 'admin@example.com');
    const res = await submit(admin, `/admin/incidents/${incident.id}/edit`, `/admin/incidents/${incident.id}/edit`, {
      name: 'Renamed',
      impact_override: '',
      started_at: '2026-03-29T22:30',
    });
    assert.equal(res.status, 303);
    const after = getIncident(p.ctx.db, incident.id);
    assert.equal(after.name, 'Renamed');
    assert.equal(after.started_at, '2026-03-29T20:30:42.123Z');
  });
});

describe('hardening: requests', () => {
  let p: TestPharos;
  before(async () => {
    p = await startPharos({ listen: true });
  });
  after(() => p.close());

  it('one setup link creates one admin, even when submitted twice at once', async () => {
    const token = issueSetupToken(p.ctx.db);
    const submitOnce = async (email: string) => {
      const agent = request.agent(p.app);
      const form = await agent.get(`/setup?token=${token}`).expect(200);
      return agent
        .post('/setup')
        .type('form')
        .send({ _csrf: csrfOf(form.text), token, email, password: 'a long enough password', password_confirm: 'a long enough password' });
    };
    const results = await Promise.all([submitOnce('one@example.com'), submitOnce('two@example.com')]);
    assert.deepEqual(results.map((r) => r.status).sort(), [303, 404]);
    assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM users').pluck().get(), 1);
  });

  it('never shows a stack trace, even when a rejected form belongs to a missing incident', async () => {
    await addUser(p, 'ops@example.com');
    const admin = await signIn(p, 'ops@example.com');
    const dash = await admin.get('/admin');
    for (const path of ['/admin/incidents/nope/updates', '/admin/incidents/nope/edit']) {
      const res = await admin
        .post(path)
        .type('form')
        .send({ _csrf: csrfOf(dash.text), status: 'bogus', name: '' });
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(res.text, /at \w+ \(|<pre>|node_modules|\.ts:\d+/);
    }
  });

  it('the API refuses booleans sent as strings, and component statuses alone add no update', async () => {
    const key = addApiKey(p);
    const api = createComponent(p.ctx, system, { name: 'API' });
    const base = `/api/v1/pages/${p.ctx.pageId}/incidents`;
    const bad = await request(p.app)
      .post(base)
      .set('Authorization', `Bearer ${key}`)
      .send({ incident: { name: 'X', deliver_notifications: 'true' } });
    assert.equal(bad.status, 422);
    assert.equal((bad.body as { error: { fields: Record<string, string> } }).error.fields['incident.deliver_notifications'], 'Must be true or false');

    const created = await request(p.app)
      .post(base)
      .set('Authorization', `Bearer ${key}`)
      .send({ incident: { name: 'Slow API' } });
    assert.equal(created.status, 201);
    const patched = await request(p.app)
      .patch(`${base}/${(created.body as { id: string }).id}`)
      .set('Authorization', `Bearer ${key}`)
      .send({ incident: { components: { [api.id]: 'partial_outage' } } });
    assert.equal(patched.status, 200);
    const incident = patched.body as { incident_updates: unknown[]; components: { status: string }[]; impact: string };
    assert.equal(incident.incident_updates.length, 1, 'no update added');
    assert.equal(incident.components[0]?.status, 'partial_outage');
    assert.equal(incident.impact, 'major', 'the impact follows the components while the incident is open');
  });

  it('shows changes committed by another process on the same database', async () => {
    const other = createContext(loadConfig({ DATA_DIR: p.dataDir, LOG_LEVEL: 'silent' }), { log: createLog('silent') });
    try {
      createComponent(other, system, { name: 'Written by a script' });
    } finally {
      other.db.close();
    }
    const deadline = Date.now() + 3000;
    let html = '';
    while (Date.now() < deadline) {
      html = await (await fetch(`${p.url}/`)).text();
      if (html.includes('Written by a script')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(html, /Written by a script/);
  });
});
