import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { ensureFirstAdmin } from '../../server/domain/access/first-admin.js';
import type { Actor } from '../../server/domain/access/actors.js';
import { createApiKey, revokeApiKey } from '../../server/domain/access/api-keys.js';
import { createGroup } from '../../server/domain/page/groups.js';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident, patchIncident } from '../../server/domain/incidents/writes.js';
import { readdirSync } from 'node:fs';
import { declaredRoutes } from '../helpers/routes.js';
import { publishCommunication } from '../../server/domain/subscribers/communications.js';
import { importCsv } from '../../server/domain/subscribers/import-export.js';
import { scheduleMaintenance } from '../../server/domain/incidents/maintenance.js';
import { mailDir } from '../../server/mail/transport.js';
import { adminRoutes } from '../../server/http/routes.js';
import { addUser, confirmAccess, csrfOf, PASSWORD, signIn, startPharos, submit, type Agent, type TestPharos } from '../helpers/pharos.js';

/**
 * Who may reach which admin page: anonymous visitors nothing, operators the incident pages, admins
 * everything; every state-changing form needs its CSRF token; login neither leaks which accounts
 * exist nor keeps a session id planted before it, nor redirects off-site.
 */

const SYSTEM: Actor = { type: 'system' };
const ADMIN = 'admin@example.com';
const OPERATOR = 'operator@example.com';
const VICTIM = 'victim@example.com';

type Method = 'GET' | 'POST';
interface Route {
  method: Method;
  /** As the router declares it, e.g. /admin/incidents/:id. */
  pattern: string;
  /** With real ids. */
  path: string;
  /** Under /admin/components, /admin/groups, /admin/users, /admin/api-keys or /admin/settings. */
  adminOnly: boolean;
  /** A plausible form for a POST: accepted, it would change something. */
  fields?: Record<string, string>;
}

interface Seeded {
  incident: string;
  update: string;
  component: string;
  groupedComponent: string;
  group: string;
  operatorId: string;
  victimId: string;
  apiKey: string;
  subscriber: string;
  maintenance: string;
  communication: string;
  mailFile: string;
}

const ADMIN_ONLY_PREFIXES = [
  '/admin/components',
  '/admin/groups',
  '/admin/users',
  '/admin/api-keys',
  '/admin/settings',
  '/admin/subscribers',
  '/admin/communications',
  '/admin/mail',
  '/admin/deliveries',
  '/admin/system',
  '/admin/data-protection',
  '/admin/audit',
  '/admin/audit.csv',
];

/** Login, logout and setup are open to anonymous visitors by design. */
const AUTH_PATTERNS = ['/setup', '/admin/login', '/admin/logout'];

/** A POST under an admin-only prefix that no router declares: refused all the same. */
const UNDECLARED = 'POST /admin/settings';

/** Every route the routers in server/http/admin/ declare behind a session, with real ids. */
function adminRouteTable(s: Seeded): Route[] {
  const table: [Method, string, Record<string, string>?][] = [
    // incidents.ts: operators' pages
    ['GET', '/admin'],
    ['GET', '/admin/incidents/new'],
    ['POST', '/admin/incidents', { name: 'Injected incident', status: 'investigating', body: 'injected' }],
    ['GET', '/admin/incidents/:id'],
    ['POST', '/admin/incidents/:id/updates', { status: 'resolved', body: 'injected update' }],
    ['GET', '/admin/incidents/:id/edit'],
    ['POST', '/admin/incidents/:id/edit', { name: 'Renamed by someone else' }],
    ['GET', '/admin/incidents/:id/delete'],
    ['POST', '/admin/incidents/:id/delete', { confirm_password: PASSWORD }],
    ['GET', '/admin/incidents/:id/updates/:updateId/edit'],
    ['POST', '/admin/incidents/:id/updates/:updateId/edit', { body: 'Edited by someone else' }],
    ['GET', '/admin/incidents/:id/updates/:updateId/delete'],
    ['POST', '/admin/incidents/:id/updates/:updateId/delete', {}],
    // data-protection.ts: operators flag, admins record the notification
    ['POST', '/admin/incidents/:id/personal-data', { personal_data_at_risk: 'on', aware_at: '2026-11-30T09:00' }],
    ['POST', '/admin/data-protection/:id/notified', { notified_at: '2026-11-30T09:30', reference: 'X' }],
    // maintenance.ts: operators' pages too
    ['GET', '/admin/maintenance/new'],
    ['POST', '/admin/maintenance', { name: 'Injected window', scheduled_for: '2026-12-01T02:00', scheduled_until: '2026-12-01T03:00' }],
    ['GET', '/admin/maintenance/:id/reschedule'],
    ['POST', '/admin/maintenance/:id/reschedule', { scheduled_for: '2026-12-02T02:00', scheduled_until: '2026-12-02T03:00' }],
    ['GET', '/admin/maintenance/:id/cancel'],
    ['POST', '/admin/maintenance/:id/cancel', {}],
    // components.ts: admins only
    ['GET', '/admin/components'],
    ['GET', '/admin/components/new'],
    ['POST', '/admin/components', { name: 'Injected component', status: 'operational' }],
    ['GET', '/admin/components/:id/edit'],
    ['POST', '/admin/components/:id/edit', { name: 'Renamed component', status: 'major_outage' }],
    ['POST', '/admin/components/:id/move', { direction: 'down' }],
    ['GET', '/admin/components/:id/delete'],
    ['POST', '/admin/components/:id/delete', {}],
    ['GET', '/admin/groups/new'],
    ['POST', '/admin/groups', { name: 'Injected group' }],
    ['GET', '/admin/groups/:id/edit'],
    ['POST', '/admin/groups/:id/edit', { name: 'Renamed group' }],
    ['POST', '/admin/groups/:id/move', { direction: 'up' }],
    ['GET', '/admin/groups/:id/delete'],
    ['POST', '/admin/groups/:id/delete', {}],
    // audit.ts
    ['GET', '/admin/audit'],
    ['GET', '/admin/audit.csv'],
    // account.ts
    ['GET', '/admin/account'],
    // reauth.ts: the password again, before lists of personal data
    ['POST', '/admin/confirm', { confirm_password: PASSWORD, next: '/admin/subscribers' }],
    ['POST', '/admin/account/sign-out-others', {}],
    // users.ts (the user id: the victim's, except for the role, where the operator promoting themselves is the attack)
    ['GET', '/admin/users'],
    ['POST', '/admin/users', { email: 'mallory@example.com', password: 'a long enough password', role: 'admin', confirm_password: PASSWORD }],
    ['POST', '/admin/users/:id/role', { role: 'admin', confirm_password: PASSWORD }],
    ['GET', '/admin/users/:id/delete'],
    ['POST', '/admin/users/:id/delete', { confirm_password: PASSWORD }],
    // api-keys.ts
    ['GET', '/admin/api-keys'],
    ['POST', '/admin/api-keys', { name: 'Injected key', confirm_password: PASSWORD }],
    ['GET', '/admin/api-keys/:id/revoke'],
    ['POST', '/admin/api-keys/:id/revoke', { confirm_password: PASSWORD }],
    // settings.ts
    ['GET', '/admin/settings'],
    ['POST', '/admin/settings', { PAGE_NAME: 'Hijacked' }],
    ['POST', '/admin/settings/subscriptions', { mode: 'paused', domains: '', threshold: '0', auto_mode: 'paused', confirm_password: PASSWORD }],
    // subscribers.ts
    ['GET', '/admin/subscribers'],
    ['GET', '/admin/subscribers/export'],
    ['POST', '/admin/subscribers/export.csv', { confirm_password: PASSWORD }],
    ['GET', '/admin/subscribers/import'],
    ['POST', '/admin/subscribers/import', { csv: 'mallory@example.com', already_confirmed: 'on' }],
    ['GET', '/admin/subscribers/:id/delete'],
    ['POST', '/admin/subscribers/:id/delete', {}],
    // communications.ts
    ['GET', '/admin/communications'],
    ['GET', '/admin/communications/new'],
    ['POST', '/admin/communications', { category: 'general', title: 'Injected notice', body: 'injected' }],
    ['GET', '/admin/communications/:id'],
    ['GET', '/admin/communications/:id/correct'],
    ['POST', '/admin/communications/:id/correct', { category: 'general', title: 'Injected correction', body: 'injected' }],
    // mail.ts
    ['GET', '/admin/mail'],
    ['POST', '/admin/mail/retry', {}],
    ['GET', '/admin/mail/files/:name'],
    ['GET', '/admin/deliveries'],
    // system.ts
    ['GET', '/admin/system'],
  ];
  const idFor = (pattern: string): string => {
    if (pattern.startsWith('/admin/incidents/')) return s.incident;
    if (pattern.startsWith('/admin/components/')) return s.component;
    if (pattern.startsWith('/admin/groups/')) return s.group;
    if (pattern.endsWith('/role')) return s.operatorId;
    if (pattern.startsWith('/admin/users/')) return s.victimId;
    if (pattern.startsWith('/admin/api-keys/')) return s.apiKey;
    if (pattern.startsWith('/admin/subscribers/')) return s.subscriber;
    if (pattern.startsWith('/admin/maintenance/')) return s.maintenance;
    if (pattern.startsWith('/admin/data-protection/')) return s.incident;
    if (pattern.startsWith('/admin/communications/')) return s.communication;
    throw new Error(`no id for ${pattern}`);
  };
  return table.map(([method, pattern, fields]) => {
    const path = pattern.includes(':name')
      ? pattern.replace(':name', s.mailFile)
      : pattern.includes(':')
        ? pattern.replace(':id', idFor(pattern)).replace(':updateId', s.update)
        : pattern;
    const adminOnly = ADMIN_ONLY_PREFIXES.some((p) => pattern === p || pattern.startsWith(`${p}/`));
    return { method, pattern, path, adminOnly, ...(method === 'POST' ? { fields: fields ?? {} } : {}) };
  });
}

const TABLES = [
  'settings',
  'users',
  'sessions',
  'api_keys',
  'component_groups',
  'components',
  'incidents',
  'incident_components',
  'incident_updates',
  'incident_update_components',
  'events',
  'subscribers',
  'subscriber_components',
  'deliveries',
  'communications',
];

/** Every row of every table, to show that a refused request changed nothing (but the audit log, which records the refusal). */
function fingerprint(p: TestPharos): string {
  return JSON.stringify(TABLES.map((t) => p.ctx.db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()));
}

/** The value a response sets for a cookie, if it sets it. */
function cookieSet(res: { headers: Record<string, unknown> }, name: string): string | undefined {
  const header = res.headers['set-cookie'];
  const list = Array.isArray(header) ? header.map(String) : typeof header === 'string' ? [header] : [];
  for (const c of list) {
    const m = new RegExp(`^${name}=([^;]*)`).exec(c);
    if (m) return m[1];
  }
  return undefined;
}

/** Resolves a Location header as a browser would, relative to the page. */
function resolvedOrigin(location: string): string {
  return new URL(location, 'http://pharos.test/admin/login').origin;
}

describe('admin access control', () => {
  let p: TestPharos;
  let admin: Agent;
  let operator: Agent;
  let s: Seeded;
  let routes: Route[];

  before(async () => {
    p = await startPharos();
    await addUser(p, ADMIN, 'admin');
    await addUser(p, OPERATOR, 'operator');
    await addUser(p, VICTIM, 'operator');
    const idOf = (email: string) => p.ctx.db.prepare('SELECT id FROM users WHERE email = ?').pluck().get(email) as string;

    const component = createComponent(p.ctx, SYSTEM, { name: 'API', status: 'operational' });
    const group = createGroup(p.ctx, SYSTEM, { name: 'Messaging', description: 'Outbound mail' });
    const grouped = createComponent(p.ctx, SYSTEM, { name: 'Email delivery', group_id: group.id });
    createComponent(p.ctx, SYSTEM, { name: 'Web app' });
    const incident = createIncident(p.ctx, SYSTEM, {
      name: 'Elevated error rates',
      status: 'investigating',
      body: 'We are looking into it.',
      components: { [component.id]: 'partial_outage' },
    });
    p.clock.advance(60_000);
    const patched = patchIncident(p.ctx, SYSTEM, incident.id, { status: 'identified', body: 'Found the cause.' });
    const update = patched.incident_updates[0];
    assert.ok(update && patched.incident_updates.length === 2);
    const key = createApiKey(p.ctx, { type: 'system' }, { name: 'automation' });
    // A subscriber, a published notice (mail to the subscriber, written as a file), all through the domain.
    importCsv(p.ctx, SYSTEM, 'reader@example.com', true);
    const notice = publishCommunication(p.ctx, SYSTEM, { category: 'general', title: 'Scheduled change', body: 'Read this.' });
    await p.ctx.mail.idle();
    await new Promise((r) => setTimeout(r, 50));
    const mailFile = readdirSync(mailDir(p.ctx.config)).find((f) => f.endsWith('.eml'));
    assert.ok(mailFile, 'a message was written');
    s = {
      incident: incident.id,
      update: update.id,
      component: component.id,
      groupedComponent: grouped.id,
      group: group.id,
      operatorId: idOf(OPERATOR),
      victimId: idOf(VICTIM),
      apiKey: key.apiKey.id,
      subscriber: p.ctx.db.prepare('SELECT id FROM subscribers').pluck().get() as string,
      communication: notice.id,
      maintenance: scheduleMaintenance(p.ctx, SYSTEM, {
        name: 'Database upgrade',
        scheduled_for: '2026-12-01T02:00:00Z',
        scheduled_until: '2026-12-01T03:00:00Z',
        component_ids: [component.id],
      }).id,
      mailFile,
    };
    routes = adminRouteTable(s);
    admin = await signIn(p, ADMIN);
    operator = await signIn(p, OPERATOR);
  });
  after(() => p.close());

  it('covers every route the admin routers declare', () => {
    const declared = declaredRoutes(adminRoutes(p.ctx))
      .filter((r) => !AUTH_PATTERNS.includes(r.slice(r.indexOf(' ') + 1)))
      .sort();
    const tested = routes
      .map((r) => `${r.method} ${r.pattern}`)
      .filter((r) => r !== UNDECLARED)
      .sort();
    assert.ok(declared.length > 30, 'the routers were walked');
    assert.deepEqual(tested, declared);
  });

  it('sends an anonymous GET to the login form, remembering where it was going', async () => {
    for (const r of routes.filter((x) => x.method === 'GET')) {
      const res = await request(p.app).get(r.path);
      assert.equal(res.status, 303, `GET ${r.path}`);
      assert.equal(res.headers.location, `/admin/login?next=${encodeURIComponent(r.path)}`, `GET ${r.path}`);
      assert.doesNotMatch(res.text, /Dashboard|Sign out/, `GET ${r.path} shows nothing of the admin`);
    }
    // The login form carries `next` on, and only a local path.
    const login = await request(p.app)
      .get(`/admin/login?next=${encodeURIComponent(`/admin/incidents/${s.incident}`)}`)
      .expect(200);
    assert.match(login.text, new RegExp(`name="next" value="/admin/incidents/${s.incident}"`));
  });

  it('answers an anonymous POST with 401 and changes nothing, even with a valid anonymous CSRF token', async () => {
    const anon = request.agent(p.app);
    const token = csrfOf((await anon.get('/admin/login').expect(200)).text);
    for (const r of routes.filter((x) => x.method === 'POST')) {
      for (const [who, client, csrf] of [
        ['bare', request(p.app), undefined],
        ['with anonymous token', anon, token],
      ] as const) {
        const before = fingerprint(p);
        const body = csrf ? { _csrf: csrf, ...r.fields } : { ...r.fields };
        const res = await client.post(r.path).type('form').send(body);
        assert.equal(res.status, 401, `POST ${r.path} (${who})`);
        assert.equal(fingerprint(p), before, `POST ${r.path} (${who}) changed the database`);
      }
    }
  });

  it('writes every refusal to the audit log, with the path, the status and the client address', async () => {
    // Earlier tests' anonymous refusals are still being tallied: written now, they are out of the way.
    p.ctx.refusals.flush();
    const before = p.ctx.db.prepare('SELECT COALESCE(MAX(id), 0) FROM audit_log').pluck().get() as number;
    await request(p.app).post('/admin/components').type('form').send({ name: 'x' }).expect(401);
    await operator.get('/admin/users').expect(403);
    p.ctx.refusals.flush();
    const rows = p.ctx.db.prepare("SELECT actor, subject, detail, ip FROM audit_log WHERE action = 'auth.refused' AND id > ? ORDER BY id").all(before) as {
      actor: string;
      subject: string;
      detail: string;
      ip: string;
    }[];
    assert.equal(rows.length, 2);
    const [forbidden, anonymous] = rows;
    // The operator's refusal is its own row; the anonymous one is tallied for its network and minute.
    assert.equal(forbidden?.subject, '/admin/users');
    assert.match(forbidden?.actor ?? '', new RegExp(OPERATOR));
    assert.deepEqual(JSON.parse(forbidden?.detail ?? '{}'), { status: 403, code: 'forbidden', method: 'GET' });
    assert.match(forbidden?.ip ?? '', /127\.0\.0\.1/);
    assert.equal(anonymous?.actor, 'anonymous');
    assert.equal(anonymous?.subject, '127.0.0.1');
    const tally = JSON.parse(anonymous?.detail ?? '{}') as Record<string, unknown>;
    assert.equal(tally.count, 1);
    assert.deepEqual(tally.paths, { 'POST /admin/components': 1 });
    assert.deepEqual(tally.statuses, { 401: 1 });
  });

  it('gives an API key, valid or revoked, nothing on the admin side: every route as for an anonymous visitor', async () => {
    const valid = createApiKey(p.ctx, { type: 'system' }, { name: 'valid elsewhere' }).key;
    const revoked = createApiKey(p.ctx, { type: 'system' }, { name: 'revoked' });
    revokeApiKey(p.ctx, { type: 'system' }, revoked.apiKey.id);
    for (const key of [valid, revoked.key]) {
      for (const r of routes) {
        const before = fingerprint(p);
        const res =
          r.method === 'GET'
            ? await request(p.app).get(r.path).set('Authorization', `OAuth ${key}`)
            : await request(p.app)
                .post(r.path)
                .set('Authorization', `Bearer ${key}`)
                .type('form')
                .send({ ...r.fields });
        assert.equal(res.status, r.method === 'GET' ? 303 : 401, `${r.method} ${r.path}`);
        if (r.method === 'GET') assert.match(String(res.headers.location), /^\/admin\/login/);
        assert.equal(fingerprint(p), before, `${r.method} ${r.path} changed the database`);
      }
    }
  });

  it('answers an anonymous JSON client with a JSON 401', async () => {
    const res = await request(p.app).post('/admin/components').set('Accept', 'application/json').send({ name: 'x' });
    assert.equal(res.status, 401);
    assert.equal((res.body as { error?: { code?: string } }).error?.code, 'unauthorized');
  });

  it('refuses an operator every admin-only page with 403', async () => {
    for (const r of routes.filter((x) => x.method === 'GET' && x.adminOnly)) {
      const res = await operator.get(r.path);
      assert.equal(res.status, 403, `operator GET ${r.path}`);
      assert.match(res.text, /Only admins can do this/, `operator GET ${r.path}`);
    }
  });

  it('refuses an operator every admin-only action with 403 (with a valid CSRF token) and changes nothing', async () => {
    const token = csrfOf((await operator.get('/admin').expect(200)).text);
    for (const r of routes.filter((x) => x.method === 'POST' && x.adminOnly)) {
      const before = fingerprint(p);
      const res = await operator
        .post(r.path)
        .type('form')
        .send({ _csrf: token, ...r.fields });
      assert.equal(res.status, 403, `operator POST ${r.path}`);
      assert.match(res.text, /Only admins can do this/, `operator POST ${r.path}: refused for the role, not for the token`);
      assert.equal(fingerprint(p), before, `operator POST ${r.path} changed the database`);
    }
    const role = p.ctx.db.prepare('SELECT role FROM users WHERE id = ?').pluck().get(s.operatorId);
    assert.equal(role, 'operator', 'the operator did not promote themselves');
  });

  it('refuses an operator admin-only pages however the path is spelled', async () => {
    for (const path of ['/admin/components/', '/admin/Components', '/ADMIN/USERS', '/admin/users?x=1', '/admin/api-keys/', '/admin/SETTINGS']) {
      const res = await operator.get(path);
      assert.ok(res.status === 403 || res.status === 404, `operator GET ${path} answered ${res.status}`);
      assert.doesNotMatch(res.text, /victim@example\.com|PAGE_NAME|Create a key|Add component/, `operator GET ${path} leaked an admin page`);
    }
  });

  it('hides the admin-only navigation from an operator', async () => {
    const dash = await operator.get('/admin').expect(200);
    assert.doesNotMatch(dash.text, /href="\/admin\/(components|users|api-keys|settings)"/);
  });

  it('shows an operator every incident page', async () => {
    for (const r of routes.filter((x) => x.method === 'GET' && !x.adminOnly)) {
      const res = await operator.get(r.path);
      assert.equal(res.status, 200, `operator GET ${r.path}`);
    }
  });

  it('shows an admin every page', async () => {
    // Lists of personal data ask for the password first (tested in reauth.test.ts).
    await confirmAccess(admin);
    for (const r of routes.filter((x) => x.method === 'GET')) {
      const res = await admin.get(r.path);
      assert.equal(res.status, 200, `admin GET ${r.path}`);
      // A template helper shadowing a data field renders as "[object Object]".
      assert.doesNotMatch(res.text, /\[object Object\]/, `admin GET ${r.path}`);
      if (r.path.endsWith('.csv')) assert.match(res.text, /^(email,state,|at,actor,action,)/, `admin GET ${r.path}`);
      else assert.match(res.text, /Sign out admin@example\.com/, `admin GET ${r.path}`);
    }
  });

  it('refuses an admin POST without, or with a wrong, CSRF token and changes nothing', async () => {
    const own = csrfOf((await admin.get('/admin').expect(200)).text);
    const operatorToken = csrfOf((await operator.get('/admin').expect(200)).text);
    const anonToken = csrfOf((await request.agent(p.app).get('/admin/login').expect(200)).text);
    const tampered = (own.startsWith('A') ? 'B' : 'A') + own.slice(1);
    const cases: [string, Record<string, string | string[]>][] = [
      ['no token', {}],
      ['empty token', { _csrf: '' }],
      ['garbage token', { _csrf: 'not-a-token' }],
      ['tampered token', { _csrf: tampered }],
      ["another session's token", { _csrf: operatorToken }],
      ['an anonymous token', { _csrf: anonToken }],
      ['token repeated with a wrong one', { _csrf: [own, 'wrong'] }],
    ];
    for (const r of routes.filter((x) => x.method === 'POST')) {
      for (const [what, extra] of cases) {
        const before = fingerprint(p);
        const res = await admin
          .post(r.path)
          .type('form')
          .send({ ...r.fields, ...extra });
        assert.equal(res.status, 403, `admin POST ${r.path} with ${what}`);
        assert.match(res.text, /This form has expired or was not sent from Pharos/, `admin POST ${r.path} with ${what}`);
        assert.equal(fingerprint(p), before, `admin POST ${r.path} with ${what} changed the database`);
      }
      // A JSON body carries no form token either.
      const before = fingerprint(p);
      const json = await admin
        .post(r.path)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ _csrf: own, ...r.fields }));
      assert.equal(json.status, 403, `admin POST ${r.path} as JSON`);
      assert.equal(fingerprint(p), before, `admin POST ${r.path} as JSON changed the database`);
    }
    // Logout is a POST too: without the token the session survives.
    await admin.post('/admin/logout').type('form').send({}).expect(403);
    await admin.get('/admin').expect(200);
  });

  it('lets an operator create an incident and post an update', async () => {
    const created = await operator
      .post('/admin/incidents')
      .type('form')
      .send({
        _csrf: csrfOf((await operator.get('/admin/incidents/new').expect(200)).text),
        name: 'Operator incident',
        status: 'investigating',
        body: 'Posted by an operator.',
        [`components.${s.groupedComponent}`]: 'degraded_performance',
      });
    assert.equal(created.status, 303);
    const id = p.ctx.db.prepare("SELECT id FROM incidents WHERE name = 'Operator incident'").pluck().get() as string | undefined;
    assert.ok(id, 'the incident exists');
    assert.equal(created.headers.location, `/admin/incidents/${id}`);

    const page = await operator.get(`/admin/incidents/${id}`).expect(200);
    const updated = await operator
      .post(`/admin/incidents/${id}/updates`)
      .type('form')
      .send({ _csrf: csrfOf(page.text), status: 'identified', body: 'The operator found it.' });
    assert.equal(updated.status, 303);
    const bodies = p.ctx.db.prepare('SELECT body FROM incident_updates WHERE incident_id = ? ORDER BY rowid').pluck().all(id);
    assert.deepEqual(bodies, ['Posted by an operator.', 'The operator found it.']);
    const status = p.ctx.db.prepare('SELECT status FROM incidents WHERE id = ?').pluck().get(id);
    assert.equal(status, 'identified');
    const author = p.ctx.db.prepare('SELECT author FROM incident_updates WHERE incident_id = ? ORDER BY rowid DESC').pluck().get(id);
    assert.equal(author, 'operator');
  });

  it('applies a change of role, or a deletion, to a signed-in user at their next request', async () => {
    const promote = await submit(admin, '/admin/users', `/admin/users/${s.victimId}/role`, { role: 'admin', confirm_password: PASSWORD });
    assert.equal(promote.status, 303);
    let victim = await signIn(p, VICTIM);
    await victim.get('/admin/users').expect(200);
    const token = csrfOf((await victim.get('/admin').expect(200)).text);

    // A change of role ends the user's sessions: the admin session cannot act any more.
    const demote = await submit(admin, '/admin/users', `/admin/users/${s.victimId}/role`, { role: 'operator', confirm_password: PASSWORD });
    assert.equal(demote.status, 303);
    await victim.get('/admin/users').expect(303).expect('Location', '/admin/login?next=%2Fadmin%2Fusers');
    const before = fingerprint(p);
    await victim.post('/admin/api-keys').type('form').send({ _csrf: token, name: 'after demotion' }).expect(401);
    assert.equal(fingerprint(p), before);
    // Signed in again, with the new role.
    victim = await signIn(p, VICTIM);
    await victim.get('/admin/users').expect(403);
    await victim.get('/admin').expect(200);

    const confirm = await admin.get(`/admin/users/${s.victimId}/delete`).expect(200);
    await admin
      .post(`/admin/users/${s.victimId}/delete`)
      .type('form')
      .send({ _csrf: csrfOf(confirm.text), confirm_password: PASSWORD })
      .expect(303);
    await victim.get('/admin').expect(303).expect('Location', '/admin/login?next=%2Fadmin');
    await victim.post(`/admin/incidents/${s.incident}/updates`).type('form').send({ _csrf: token, body: 'ghost' }).expect(401);
  });
});

describe('login', () => {
  let p: TestPharos;

  before(async () => {
    p = await startPharos();
    await addUser(p, ADMIN, 'admin');
    await addUser(p, OPERATOR, 'operator');
  });
  after(() => p.close());

  it('answers a wrong password and an unknown email alike: 401, one message, the typed email kept', async () => {
    const agent = request.agent(p.app);
    const token = csrfOf((await agent.get('/admin/login').expect(200)).text);
    const sessionsBefore = p.ctx.db.prepare('SELECT COUNT(*) FROM sessions').pluck().get();

    const wrong = await agent.post('/admin/login').type('form').send({ _csrf: token, email: ADMIN, password: 'not the password at all', next: '/admin' });
    const unknown = await agent
      .post('/admin/login')
      .type('form')
      .send({ _csrf: token, email: 'nobody@example.com', password: 'not the password at all', next: '/admin' });

    for (const [what, res, email] of [
      ['wrong password', wrong, ADMIN],
      ['unknown email', unknown, 'nobody@example.com'],
    ] as const) {
      assert.equal(res.status, 401, what);
      assert.match(res.text, /Email or password is incorrect\./, what);
      assert.match(res.text, new RegExp(`name="email"[^>]*value="${email.replace(/\./g, '\\.')}"`), `${what}: the form keeps the email`);
      assert.equal(cookieSet(res, 'pharos_session'), undefined, `${what}: no session cookie`);
    }
    // Nothing in the page tells the two apart.
    assert.equal(wrong.text.replaceAll(ADMIN, 'EMAIL'), unknown.text.replaceAll('nobody@example.com', 'EMAIL'));
    assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM sessions').pluck().get(), sessionsBefore, 'no session was started');
  });

  it('refuses a login POST without the CSRF token', async () => {
    const res = await request(p.app).post('/admin/login').type('form').send({ email: ADMIN, password: PASSWORD });
    assert.equal(res.status, 403);
    assert.equal(cookieSet(res, 'pharos_session'), undefined);
  });

  it('issues a fresh session id at login, whatever session cookie was there before', async () => {
    // A value planted by someone else (session fixation): it is not adopted.
    const planted = 'planted-by-an-attacker-0123456789abcdefghijklmnop';
    const form = await request(p.app).get('/admin/login').set('Cookie', `pharos_session=${planted}`).expect(200);
    const anonCookie = cookieSet(form, 'pharos_csrf');
    assert.ok(anonCookie);
    const res = await request(p.app)
      .post('/admin/login')
      .set('Cookie', `pharos_session=${planted}; pharos_csrf=${anonCookie}`)
      .type('form')
      .send({ _csrf: csrfOf(form.text), email: OPERATOR, password: PASSWORD, next: '/admin' })
      .expect(303);
    const first = cookieSet(res, 'pharos_session');
    assert.ok(first, 'login sets a session cookie');
    const header = String(res.headers['set-cookie'] ?? '');
    assert.match(header, /pharos_session=[^;]+;[^,]*HttpOnly/i, 'the session cookie is HttpOnly');
    assert.match(header, /pharos_session=[^;]+;[^,]*SameSite=Lax/i, 'the session cookie is SameSite=Lax');
    assert.notEqual(first, planted);
    await request(p.app).get('/admin').set('Cookie', `pharos_session=${planted}`).expect(303);
    await request(p.app).get('/admin').set('Cookie', `pharos_session=${first}`).expect(200);

    // A real session from before: signing in again (here as someone else) replaces it and ends it.
    const token = csrfOf((await request(p.app).get('/admin').set('Cookie', `pharos_session=${first}`).expect(200)).text);
    const again = await request(p.app)
      .post('/admin/login')
      .set('Cookie', `pharos_session=${first}`)
      .type('form')
      .send({ _csrf: token, email: ADMIN, password: PASSWORD, next: '/admin/components' })
      .expect(303)
      .expect('Location', '/admin/components');
    const second = cookieSet(again, 'pharos_session');
    assert.ok(second, 'the second login sets a session cookie');
    assert.notEqual(second, first);
    await request(p.app).get('/admin').set('Cookie', `pharos_session=${first}`).expect(303).expect('Location', '/admin/login?next=%2Fadmin');
    const dash = await request(p.app).get('/admin').set('Cookie', `pharos_session=${second}`).expect(200);
    assert.match(dash.text, /Sign out admin@example\.com/);
  });

  it('redirects after login only to a path on this site', async () => {
    const agent = request.agent(p.app);
    const token = csrfOf((await agent.get('/admin/login?next=%2F%2Fevil.example').expect(200)).text);
    const login = await agent.get('/admin/login?next=%2F%2Fevil.example').expect(200);
    assert.match(login.text, /name="next" value="\/admin"/, 'the form does not carry an off-site next');

    const res = await agent.post('/admin/login').type('form').send({ _csrf: token, email: OPERATOR, password: PASSWORD, next: '//evil.example' }).expect(303);
    assert.equal(res.headers.location, '/admin');

    // Signed in, the login page forwards to `next`: still only locally.
    await agent.get('/admin/login?next=%2F%2Fevil.example').expect(303).expect('Location', '/admin');
    for (const next of ['https://evil.example/', '/\\evil.example', '\\\\evil.example', '/\t/evil.example', '/%2F/evil.example', 'javascript:alert(1)']) {
      const r = await agent.get(`/admin/login?next=${encodeURIComponent(next)}`);
      assert.equal(r.status, 303, `next=${JSON.stringify(next)}`);
      assert.equal(resolvedOrigin(r.headers.location ?? ''), 'http://pharos.test', `next=${JSON.stringify(next)} → ${r.headers.location}`);
      assert.doesNotMatch(r.headers.location ?? '', /^javascript:/i);
    }
  });

  it('redirects a fresh login with an off-site next (each spelling) to /admin', async () => {
    for (const next of ['https://evil.example/', '/\\evil.example']) {
      const agent = request.agent(p.app);
      const token = csrfOf((await agent.get('/admin/login').expect(200)).text);
      const res = await agent.post('/admin/login').type('form').send({ _csrf: token, email: OPERATOR, password: PASSWORD, next }).expect(303);
      assert.equal(res.headers.location, '/admin', `next=${JSON.stringify(next)}`);
    }
  });
});

describe('first admin from ADMIN_EMAIL / ADMIN_PASSWORD', () => {
  const env = { ADMIN_EMAIL: 'boot@example.com', ADMIN_PASSWORD: 'a bootstrap password' };
  const started: TestPharos[] = [];
  after(async () => {
    for (const p of started) await p.close();
  });

  it('creates the admin when there is no user, once', async () => {
    const p = await startPharos({ env });
    started.push(p);
    assert.equal(await ensureFirstAdmin(p.ctx), undefined, 'no setup link when the env names the admin');
    const users = p.ctx.db.prepare('SELECT email, role FROM users').all();
    assert.deepEqual(users, [{ email: 'boot@example.com', role: 'admin' }]);
    assert.equal(p.ctx.db.prepare("SELECT value FROM settings WHERE key = 'setup_token_hash'").pluck().get(), undefined);
    await request(p.app).get('/setup?token=anything').expect(404);

    const hash = p.ctx.db.prepare('SELECT password_hash FROM users').pluck().get();
    assert.equal(await ensureFirstAdmin(p.ctx), undefined);
    assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM users').pluck().get(), 1, 'a second start creates nobody');
    assert.equal(p.ctx.db.prepare('SELECT password_hash FROM users').pluck().get(), hash, 'nor resets the password');

    const agent = await signIn(p, env.ADMIN_EMAIL, env.ADMIN_PASSWORD);
    await agent.get('/admin/settings').expect(200);
  });

  it('creates nobody when a user already exists', async () => {
    const p = await startPharos({ env });
    started.push(p);
    await addUser(p, 'existing@example.com', 'operator');
    assert.equal(await ensureFirstAdmin(p.ctx), undefined);
    const users = p.ctx.db.prepare('SELECT email, role FROM users').all();
    assert.deepEqual(users, [{ email: 'existing@example.com', role: 'operator' }]);
  });
});
