import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { addUser, signIn, startPharos, submit, type Agent, type TestPharos, PASSWORD } from '../helpers/pharos.js';

/** Every table's rows, to prove a rejected form changed nothing. */
function dump(p: TestPharos): string {
  const tables = p.ctx.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'sessions' ORDER BY name").pluck().all() as string[];
  return JSON.stringify(tables.map((t) => p.ctx.db.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).all()));
}

describe('admin forms with bad input', () => {
  let p: TestPharos;
  let admin: Agent;
  let apiId: string;
  let incidentId: string;
  const system = { type: 'system' } as const;

  before(async () => {
    p = await startPharos();
    await addUser(p, 'admin@example.com', 'admin');
    admin = await signIn(p, 'admin@example.com');
    apiId = createComponent(p.ctx, system, { name: 'API' }).id;
    incidentId = createIncident(p.ctx, system, { name: 'Existing', body: 'First.' }).id;
  });
  after(() => p.close());

  async function rejected(formPage: string, action: string, fields: Record<string, string>) {
    const before = dump(p);
    const summary = (await request(p.app).get('/api/v2/summary.json')).text;
    const res = await submit(admin, formPage, action, fields);
    assert.equal(res.status, 422, `${action} answers 422`);
    assert.equal(dump(p), before, 'nothing changed in the database');
    assert.equal((await request(p.app).get('/api/v2/summary.json')).text, summary, 'nothing changed on the page');
    assert.match(res.text, /class="alert alert--error" role="alert"/);
    return res.text;
  }

  it('new incident: a missing name is named, and everything typed is kept', async () => {
    const html = await rejected('/admin/incidents/new', '/admin/incidents', {
      name: '   ',
      status: 'identified',
      body: 'We are **mitigating** a flood & <stuff>',
      impact_override: 'major',
      [`components.${apiId}`]: 'partial_outage',
      deliver_notifications: 'on',
    });
    assert.match(html, /<p class="field-error" id="name-error">Enter a name<\/p>/);
    assert.match(html, /id="name"[^>]*aria-invalid="true"/);
    assert.match(html, /We are \*\*mitigating\*\* a flood &amp; &lt;stuff&gt;<\/textarea>/);
    assert.match(html, /<option value="identified" selected>/);
    assert.match(html, /<option value="major" selected>/);
    assert.match(html, /<option value="partial_outage" selected>/);
  });

  it('new incident: a forged status, impact, component status or start time is refused by field', async () => {
    let html = await rejected('/admin/incidents/new', '/admin/incidents', { name: 'X', status: 'exploded' });
    assert.match(html, /id="status-error">Status must be one of: investigating, identified, monitoring, resolved, postmortem/);
    html = await rejected('/admin/incidents/new', '/admin/incidents', { name: 'X', status: 'investigating', impact_override: 'apocalyptic' });
    assert.match(html, /id="impact_override-error">Impact override must be one of: none, minor, major, critical/);
    html = await rejected('/admin/incidents/new', '/admin/incidents', { name: 'X', status: 'investigating', [`components.${apiId}`]: 'on_fire' });
    assert.match(html, new RegExp(`id="components.${apiId}-error">Status must be one of`));
    html = await rejected('/admin/incidents/new', '/admin/incidents', { name: 'X', status: 'investigating', 'components.nosuchthing': 'major_outage' });
    assert.match(html, /Please correct/);
    html = await rejected('/admin/incidents/new', '/admin/incidents', { name: 'X', status: 'investigating', started_at: 'yesterday-ish' });
    assert.match(html, /id="started_at-error">Enter a date and time/);
    html = await rejected('/admin/incidents/new', '/admin/incidents', { name: 'X', status: 'investigating', started_at: '2099-01-01T00:00' });
    assert.match(html, /The start cannot be in the future/);
    html = await rejected('/admin/incidents/new', '/admin/incidents', { name: 'x'.repeat(201), status: 'investigating' });
    assert.match(html, /Use at most 200 characters/);
    html = await rejected('/admin/incidents/new', '/admin/incidents', { name: 'Nul\u0000byte', status: 'investigating' });
    assert.match(html, /control characters/);
  });

  it('post update: a bad status keeps the message typed', async () => {
    const html = await rejected(`/admin/incidents/${incidentId}`, `/admin/incidents/${incidentId}/updates`, {
      status: 'nearly-done',
      body: 'Still working on it.',
    });
    assert.match(html, /id="status-error">/);
    assert.match(html, /Still working on it\.<\/textarea>/);
    assert.match(html, /Existing/, 'the incident page is shown again');
  });

  it('edit incident and edit update refuse bad values', async () => {
    let html = await rejected(`/admin/incidents/${incidentId}/edit`, `/admin/incidents/${incidentId}/edit`, { name: '', impact_override: '' });
    assert.match(html, /id="name-error">Enter a name/);
    const updateId = p.ctx.db.prepare('SELECT id FROM incident_updates WHERE incident_id = ?').pluck().get(incidentId) as string;
    html = await rejected(`/admin/incidents/${incidentId}/updates/${updateId}/edit`, `/admin/incidents/${incidentId}/updates/${updateId}/edit`, {
      body: 'y'.repeat(20_001),
    });
    assert.match(html, /id="body-error">Use at most 20,000 characters \(you typed 20,001\)/);
  });

  it('the last update cannot be deleted; the incident is the thing to delete', async () => {
    const updateId = p.ctx.db.prepare('SELECT id FROM incident_updates WHERE incident_id = ?').pluck().get(incidentId) as string;
    const html = await rejected(`/admin/incidents/${incidentId}/updates/${updateId}/delete`, `/admin/incidents/${incidentId}/updates/${updateId}/delete`, {});
    assert.match(html, /delete the incident instead/);
  });

  it('components, groups, users and API keys refuse bad input by field', async () => {
    let html = await rejected('/admin/components/new', '/admin/components', { name: '', description: 'Kept description', status: 'operational' });
    assert.match(html, /id="name-error">Enter a name/);
    assert.match(html, /value="Kept description"/);
    html = await rejected('/admin/components/new', '/admin/components', { name: 'DB', status: 'fine' });
    assert.match(html, /id="status-error">/);
    html = await rejected('/admin/components/new', '/admin/components', { name: 'DB', status: 'operational', group_id: 'nosuchgroup' });
    assert.match(html, /id="group_id-error">No such group/);
    html = await rejected('/admin/groups/new', '/admin/groups', { name: '' });
    assert.match(html, /id="name-error">Enter a name/);
    html = await rejected('/admin/users', '/admin/users', { email: 'new@example.com', password: 'short', role: 'operator', confirm_password: PASSWORD });
    assert.match(html, /id="password-error">Use at least 12 characters/);
    assert.match(html, /value="new@example.com"/);
    html = await rejected('/admin/users', '/admin/users', { email: 'nope', password: 'a long enough password', role: 'operator', confirm_password: PASSWORD });
    assert.match(html, /id="email-error">Enter a valid email address/);
    html = await rejected('/admin/users', '/admin/users', {
      email: 'admin@example.com',
      password: 'a long enough password',
      role: 'operator',
      confirm_password: PASSWORD,
    });
    assert.match(html, /already exists/);
    html = await rejected('/admin/users', '/admin/users', {
      email: 'x@example.com',
      password: 'a long enough password',
      role: 'root',
      confirm_password: PASSWORD,
    });
    assert.match(html, /id="role-error">Role must be one of: admin, operator/);
    html = await rejected('/admin/api-keys', '/admin/api-keys', { name: '', confirm_password: PASSWORD });
    assert.match(html, /id="name-error">Enter a name/);
  });

  it('the last admin cannot be demoted or deleted, even by themselves', async () => {
    const me = p.ctx.db.prepare('SELECT id FROM users').pluck().get() as string;
    await rejected('/admin/users', `/admin/users/${me}/role`, { role: 'operator', confirm_password: PASSWORD });
    await rejected(`/admin/users/${me}/delete`, `/admin/users/${me}/delete`, { confirm_password: PASSWORD });
  });
});
