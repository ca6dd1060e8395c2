import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import request from 'supertest';
import { listApiKeys } from '../../server/domain/access/api-keys.js';
import { publishCommunication } from '../../server/domain/subscribers/communications.js';
import { createNoticeDraft } from '../../server/domain/subscribers/notice-drafts.js';
import { createGroup } from '../../server/domain/page/groups.js';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { scheduleMaintenance } from '../../server/domain/incidents/maintenance.js';
import { importCsv } from '../../server/domain/subscribers/import-export.js';
import { manageToken } from '../../server/domain/subscribers/tokens.js';
import { projectRoot } from '../../server/lib/paths.js';
import { adminRoutes } from '../../server/http/routes.js';
import { declaredRoutes } from '../helpers/routes.js';
import { CANARY, fingerprint, formValue, hostile, json, RUNS } from '../helpers/fuzz.js';
import { addApiKey, addUser, csrfOf, settleMail, signIn, startPharos, type Agent, type TestPharos } from '../helpers/pharos.js';

const system = { type: 'system' } as const;
/**
 * Property-based fuzzing (fast-check) of the forms and the management API with random and hostile input:
 * never a 500; a rejected request changes nothing; nothing typed comes out as markup on the pages, in the
 * live payload or in the emails.
 */
describe('fuzzing every form and API endpoint', () => {
  let p: TestPharos;
  let admin: Agent;
  let key: string;
  let componentId: string;
  let incidentId: string;
  let manage: string;
  let csrf: string;

  before(async () => {
    p = await startPharos();
    await addUser(p, 'admin@example.com', 'admin');
    admin = await signIn(p, 'admin@example.com');
    csrf = csrfOf((await admin.get('/admin').expect(200)).text);
    key = addApiKey(p);
    componentId = createComponent(p.ctx, system, { name: 'API' }).id;
    incidentId = createIncident(p.ctx, system, { name: 'Attack', components: { [componentId]: 'major_outage' } }).id;
    importCsv(p.ctx, system, 'email\nreader@example.com', true);
    const sub = p.ctx.db.prepare("SELECT id, token_version FROM subscribers WHERE email = 'reader@example.com'").get() as { id: string; token_version: number };
    manage = manageToken(p.ctx.secret, sub);
  });
  after(() => p.close());

  /** Sends one request, then checks the invariants. */
  async function check(what: string, send: () => Promise<request.Response>): Promise<void> {
    const before = fingerprint(p);
    const res = await send();
    // fast-check reports the failing input; the message says which invariant broke and how.
    const fail = (message: string) => {
      failures.push(message);
      assert.fail(message);
    };
    if (res.status >= 500) fail(`${what}: ${res.status} ${res.text.slice(0, 300)}`);
    if (res.status >= 400 && fingerprint(p) !== before) fail(`${what}: rejected with ${res.status} ${res.text.slice(0, 200)} but the database changed`);
    // An HTML answer (a form again, an error page) shows what was typed as text; JSON carries it as typed.
    if (/html/.test(String(res.headers['content-type'])) && CANARY.test(res.text)) fail(`${what}: markup injected into the response`);
  }
  const failures: string[] = [];
  afterEach(() => {
    if (failures.length) console.error(`fuzzing failures:\n${[...new Set(failures)].slice(0, 5).join('\n')}`);
    failures.length = 0;
  });

  const api = (method: 'post' | 'patch' | 'put', path: string, body: unknown) => () =>
    request(p.app)
      [method](`/api/v1/pages/${p.ctx.pageId}${path}`)
      .set('Authorization', `OAuth ${key}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(body));
  /** A form body as curl -d sends it, Rails brackets and all; the key in the query string. */
  const apiForm = (method: 'post' | 'patch', path: string, body: string) => () =>
    request(p.app)
      [method](`/api/v1/pages/${p.ctx.pageId}${path}.json?api_key=${encodeURIComponent(key)}`)
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send(body);

  it('the management API: any JSON in and around the envelopes', async () => {
    const groupId = createGroup(p.ctx, system, { name: 'Fuzzed group' }).id;
    await fc.assert(
      fc.asyncProperty(
        json,
        json,
        fc.dictionary(
          fc.constantFrom(
            'name',
            'status',
            'body',
            'impact_override',
            'components',
            'deliver_notifications',
            'scheduled_for',
            'description',
            'group_id',
            'display_at',
            'time_zone',
            'url',
            'css_link_color',
          ),
          fc.oneof(hostile, json),
          { maxKeys: 6 },
        ),
        async (a, b, fields) => {
          await check('POST incidents', api('post', '/incidents', { incident: fields }));
          await check('POST incidents (any body)', api('post', '/incidents', a));
          await check('PATCH incident', api('patch', `/incidents/${incidentId}`, { incident: fields }));
          await check('POST components', api('post', '/components', { component: fields }));
          await check('PATCH component', api('patch', `/components/${componentId}`, { component: b }));
          await check('POST subscribers', api('post', '/subscribers', { subscriber: fields }));
          await check('POST subscribers (any body)', api('post', '/subscribers', b));
          await check('PUT postmortem', api('put', `/incidents/${incidentId}/postmortem`, { postmortem: fields }));
          await check('PUT postmortem publish', api('put', `/incidents/${incidentId}/postmortem/publish`, { postmortem: fields }));
          const updateId = String(p.ctx.db.prepare('SELECT id FROM incident_updates WHERE incident_id = ? LIMIT 1').pluck().get(incidentId));
          await check('PATCH incident update', api('patch', `/incidents/${incidentId}/incident_updates/${updateId}`, { incident_update: fields }));
          await check('POST component group', api('post', '/component-groups', { component_group: fields, description: fields.description }));
          await check('POST component group (any body)', api('post', '/component-groups', a));
          await check('PATCH component group', api('patch', `/component-groups/${groupId}`, { component_group: fields }));
          await check('POST incident template', api('post', '/incident_templates', { template: { ...fields, title: fields.name } }));
          await check('PATCH page', api('patch', '', { page: fields }));
          await check('PATCH page (any body)', api('patch', '', b));
          for (const path of [`/components/${componentId}/uptime`, `/component-groups/${groupId}/uptime`]) {
            await check(`GET ${path}`, () =>
              request(p.app)
                .get(`/api/v1/pages/${p.ctx.pageId}${path}`)
                .query({
                  start: typeof fields.scheduled_for === 'string' ? fields.scheduled_for : JSON.stringify(a),
                  end: typeof fields.name === 'string' ? fields.name : '',
                })
                .set('Authorization', `OAuth ${key}`),
            );
          }
          const q = typeof fields.name === 'string' ? fields.name : JSON.stringify(a);
          await check('GET incidents?q=', () =>
            request(p.app)
              .get(`/api/v1/pages/${p.ctx.pageId}/incidents.json`)
              .query({ q, page: JSON.stringify(fields.status ?? null), per_page: JSON.stringify(fields.body ?? null) })
              .set('Authorization', `OAuth ${key}`),
          );
          // Statuspage's list query, each parameter given whatever came (text, JSON, lists of it).
          const given = (v: unknown) => (typeof v === 'string' || Array.isArray(v) ? v : JSON.stringify(v ?? null));
          await check('GET subscribers?…', () =>
            request(p.app)
              .get(`/api/v1/pages/${p.ctx.pageId}/subscribers`)
              .query({
                type: given(fields.status),
                state: given(fields.impact_override),
                q: given(fields.name),
                limit: given(fields.body),
                page: given(fields.display_at),
                sort_field: given(fields.group_id),
                sort_direction: given(fields.description),
              })
              .set('Authorization', `OAuth ${key}`),
          );
          for (const source of ['alertmanager', 'grafana']) {
            const receiver = (body: unknown) => () =>
              request(p.app)
                .post(`/api/integrations/${source}`)
                .set('Authorization', `Bearer ${key}`)
                .set('Content-Type', 'application/json')
                .send(JSON.stringify(body));
            await check(`${source} receiver`, receiver(a));
            await check(
              `${source} receiver (v4 envelope)`,
              receiver({ version: '4', groupKey: 'fuzz', status: 'firing', alerts: [{ status: 'firing', labels: fields, annotations: fields }] }),
            );
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('the management API: any form-encoded body, Rails brackets included', async () => {
    const names = fc.constantFrom(
      'incident[name]',
      'incident[status]',
      'incident[body]',
      'incident[deliver_notifications]',
      'incident[impact_override]',
      `incident[components][${componentId}]`,
      'incident[components][__proto__]',
      'incident[component_ids][]',
      'incident[component_ids][0]',
      'incident[scheduled_for]',
      'incident[scheduled_remind_prior]',
      'incident[a][b][c][d][e][f]',
      'incident',
      'component[name]',
      'component[status]',
      'component[showcase]',
      'component_group[name]',
      'component_group[components][]',
      'incident_update[display_at]',
      'page[time_zone]',
      'page[name]',
      'constructor[prototype][x]',
    );
    const pair = fc.tuple(fc.oneof({ weight: 3, arbitrary: names }, { weight: 1, arbitrary: hostile }), hostile);
    // A lone surrogate has no UTF-8: it goes raw.
    const encoded = (text: string) => {
      try {
        return encodeURIComponent(text);
      } catch {
        return text;
      }
    };
    // Encoded as a client would, or sent raw (bad percent-encoding, bare & and =).
    const body = fc.oneof(
      fc.array(pair, { maxLength: 8 }).map((pairs) => pairs.map(([k, v]) => `${encoded(k)}=${encoded(v)}`).join('&')),
      fc.array(pair, { maxLength: 8 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')),
    );
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const updateId = String(p.ctx.db.prepare('SELECT id FROM incident_updates WHERE incident_id = ? LIMIT 1').pluck().get(incidentId));
        await check('POST incidents (form)', apiForm('post', '/incidents', text));
        await check('PATCH incident (form)', apiForm('patch', `/incidents/${incidentId}`, text));
        await check('PATCH component (form)', apiForm('patch', `/components/${componentId}`, text));
        await check('POST component group (form)', apiForm('post', '/component-groups', text));
        await check('PATCH incident update (form)', apiForm('patch', `/incidents/${incidentId}/incident_updates/${updateId}`, text));
        await check('PATCH page (form)', apiForm('patch', '', text));
        await check('POST subscribers (form)', apiForm('post', '/subscribers', text));
        await check('POST incident template (form)', apiForm('post', '/incident_templates', text.replaceAll('incident[', 'template[')));
      }),
      { numRuns: RUNS },
    );
  });

  it('the admin forms: any fields, any values', async () => {
    const fields = (names: string[]) => fc.dictionary(fc.oneof(fc.constantFrom(...names), hostile), formValue, { maxKeys: 8 });
    await fc.assert(
      fc.asyncProperty(
        fields(['name', 'status', 'impact_override', 'started_at', 'body', 'deliver_notifications', `components.${componentId}`]),
        fields(['status', 'body', 'deliver_notifications', `components.${componentId}`]),
        fields(['name', 'description', 'group_id', 'status', 'showcase', 'only_show_if_degraded']),
        fields(['name', 'body', 'scheduled_for', 'scheduled_until', 'scheduled_remind_prior', 'component_ids', 'auto_in_progress', 'notify_now']),
        async (incident, update, component, maintenance) => {
          const post = (path: string, body: Record<string, unknown>) => () =>
            admin
              .post(path)
              .type('form')
              .send({ ...body, _csrf: csrf });
          await check('new incident form', post('/admin/incidents', incident));
          await check('update form', post(`/admin/incidents/${incidentId}/updates`, update));
          await check('component form', post('/admin/components', component));
          await check('maintenance form', post('/admin/maintenance', maintenance));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('every form the admin routers declare (any field of any form, any value), and the login and setup forms', async () => {
    // The field names of every form in the views, plus anything.
    const names = new Set<string>();
    for (const dir of ['admin', 'partials/admin', 'public']) {
      for (const f of readdirSync(join(projectRoot(), 'views', dir)).filter((n) => n.endsWith('.hbs'))) {
        for (const m of readFileSync(join(projectRoot(), 'views', dir, f), 'utf8').matchAll(/name="([a-z_.]+)"/g))
          if (m[1] && m[1] !== '_csrf') names.add(m[1]);
      }
    }
    const groupId = createGroup(p.ctx, system, { name: 'Region' }).id;
    await addUser(p, 'victim@example.com', 'operator');
    const ids: Record<string, string> = {
      incidents: incidentId,
      'data-protection': incidentId,
      maintenance: scheduleMaintenance(p.ctx, system, { name: 'Window', scheduled_for: '2026-12-24T02:00:00Z', scheduled_until: '2026-12-24T03:00:00Z' }).id,
      components: componentId,
      'component-status': componentId,
      groups: groupId,
      users: p.ctx.db.prepare("SELECT id FROM users WHERE email = 'victim@example.com'").pluck().get() as string,
      'api-keys': listApiKeys(p.ctx.db)[0]?.id ?? '',
      communications: publishCommunication(p.ctx, system, { category: 'general', title: 'Notice', body: 'Text.' }).id,
      subscribers: p.ctx.db.prepare('SELECT id FROM subscribers LIMIT 1').pluck().get() as string,
    };
    const updateId = p.ctx.db.prepare('SELECT id FROM incident_updates WHERE incident_id = ? LIMIT 1').pluck().get(incidentId) as string;
    const noticeDraft = createNoticeDraft(p.ctx, system, { category: 'general', title: 'Draft', body: 'Drafted.' }).id;
    const routes = declaredRoutes(adminRoutes(p.ctx))
      .filter((r) => r.startsWith('POST '))
      .map((r) => r.slice(5))
      // Signing out would end the fuzzing session; the import is multipart (fuzzed with the bodies below).
      .filter((r) => r !== '/admin/logout' && r !== '/admin/subscribers/import')
      .map((r) =>
        r
          .replace(':id', (r.startsWith('/admin/communications/drafts/') ? noticeDraft : ids[r.split('/')[2] ?? '']) ?? 'unknown')
          .replace(':updateId', updateId),
      );
    assert.ok(routes.length > 25, `${routes.length} admin forms`);
    const fields = fc.dictionary(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: hostile }), formValue, { maxKeys: 8 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), fields, async (path, body) => {
        await check(`POST ${path}`, () =>
          admin
            .post(path)
            .type('form')
            .send({ ...body, _csrf: csrf }),
        );
      }),
      { numRuns: RUNS * 3 },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/admin/login', '/setup'), fields, async (path, body) => {
        await check(`POST ${path}`, async () => {
          const agent = request.agent(p.app);
          const token = csrfOf((await agent.get('/admin/login').expect(200)).text);
          return agent
            .post(path)
            .type('form')
            .send({ ...body, _csrf: token });
        });
      }),
      { numRuns: RUNS },
    );
    // Still signed in: nothing above ended the session that posted it all.
    await admin.get('/admin').expect(200);
  });

  it('every page the admin routers declare, with any id and any query (the lists search and page by it)', async () => {
    const pages = declaredRoutes(adminRoutes(p.ctx))
      .filter((r) => r.startsWith('GET '))
      .map((r) => r.slice(4))
      // The setup page is its own suite's; the CSV export reads the whole log.
      .filter((r) => r !== '/setup' && r !== '/admin/audit.csv');
    const query = fc.dictionary(fc.oneof(fc.constantFrom('q', 'page', 'next', 'resent', 'template', 'restore'), hostile), formValue, { maxKeys: 4 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...pages), hostile, query, async (pattern, id, q) => {
        // As a browser sends them: lone surrogates become U+FFFD, everything is percent-encoded.
        const enc = (text: string) => encodeURIComponent(Buffer.from(text, 'utf8').toString('utf8'));
        const search = Object.entries(q).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${enc(k)}=${enc(x)}`));
        const path = pattern.replace(/:\w+/g, () => enc(id) || 'x');
        await check(`GET ${pattern}`, () => admin.get(`${path}?${search.join('&')}`));
      }),
      { numRuns: RUNS * 2 },
    );
    await admin.get('/admin').expect(200);
  });

  it('the public forms: subscribe, follow and manage, the v2 sign-up; subscriber and webhook links with any token', async () => {
    const fields = fc.dictionary(
      fc.oneof(
        fc.constantFrom('email', 'scope', 'components', 'subscriber[email]', 'subscriber[endpoint]', 'subscriber[component_ids][]', 'endpoint'),
        hostile,
      ),
      formValue,
      { maxKeys: 5 },
    );
    // Near-valid tokens (the subscriber's id with a wrong MAC) and anything at all.
    const token = fc.oneof(
      hostile,
      fc.string({ minLength: 43, maxLength: 43 }).map((mac) => `${manage.split('.')[0] ?? ''}.${mac}`),
    );
    await fc.assert(
      fc.asyncProperty(fields, fields, token, async (subscribe, choice, t) => {
        await check('subscribe form', () => request(p.app).post('/subscribe').type('form').send(subscribe));
        await check('manage form', () => request(p.app).post(`/subscriptions/manage/${manage}`).type('form').send(choice));
        const segment = encodeURIComponent(Buffer.from(t, 'utf8').toString('utf8'));
        await check('confirmation button', () => request(p.app).post(`/subscriptions/confirm/${segment}`).type('form').send(choice));
        await check('one-click unsubscribe', () => request(p.app).post(`/unsubscribe/${segment}`).type('form').send(choice));
        await check('follow an incident', () => request(p.app).post(`/incidents/${incidentId}/follow`).type('form').send(subscribe));
        await check('v2 subscribers (form)', () => request(p.app).post('/api/v2/subscribers.json').type('form').send(subscribe));
        await check('v2 subscribers (JSON)', () => request(p.app).post('/api/v2/subscribers.json').send({ subscriber: choice }));
        await check('webhook unsubscribe', () => request(p.app).post(`/webhooks/unsubscribe/${segment}`).type('form').send(choice));
      }),
      { numRuns: RUNS },
    );
  });

  it('bodies that are not what they claim: invalid UTF-8, wrong types, deep nesting', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data'),
        async (bytes, type) => {
          const raw = Buffer.concat([Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(bytes)]);
          await check(`API with ${type}`, () =>
            request(p.app).post(`/api/v1/pages/${p.ctx.pageId}/incidents`).set('Authorization', `OAuth ${key}`).set('Content-Type', type).send(raw),
          );
          await check(`admin form with ${type}`, () => admin.post('/admin/components').set('Content-Type', type).send(raw));
          await check(`subscribe with ${type}`, () => request(p.app).post('/subscribe').set('Content-Type', type).send(raw));
        },
      ),
      { numRuns: RUNS },
    );
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    await check('deep JSON', () =>
      request(p.app).post(`/api/v1/pages/${p.ctx.pageId}/incidents`).set('Authorization', `OAuth ${key}`).set('Content-Type', 'application/json').send(deep),
    );
  });

  it('leaves no injected markup on the pages, in the live payload or in the emails', async () => {
    // Whatever the fuzzing left (it may have revoked the key and deleted the component), one update with
    // markup everywhere, mailed to every confirmed subscriber.
    key = addApiKey(p, 'after the fuzzing');
    const fresh = createComponent(p.ctx, system, { name: 'Fresh' }).id;
    importCsv(p.ctx, system, 'email\nlast-reader@example.com', true);
    const posted = await api('post', '/incidents', {
      incident: {
        name: '<b data-fuzz>name</b>',
        status: 'investigating',
        body: '"><b data-fuzz>body',
        components: { [fresh]: 'partial_outage' },
        deliver_notifications: true,
      },
    })();
    assert.equal(posted.status, 201, posted.text);
    // (The JSON APIs carry the text as typed, as Statuspage's do: JSON is not markup.)
    const summary = await request(p.app).get('/api/v2/summary.json').expect(200);
    assert.ok(Array.isArray((summary.body as { incidents?: unknown }).incidents), 'summary.json still parses');
    for (const path of ['/', '/history', `/incidents/${incidentId}`, '/admin', '/admin/components', '/admin/incidents', '/admin/maintenance']) {
      const res = await (path.startsWith('/admin') ? admin.get(path) : request(p.app).get(path));
      assert.ok(res.status < 500, path);
      assert.doesNotMatch(res.text, CANARY, path);
    }
    for (const [region, html] of Object.entries(p.ctx.snapshot.current().live.html)) assert.doesNotMatch(html, CANARY, `live ${region}`);
    await settleMail(p);
    const dir = join(p.dataDir, 'mail');
    const files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
    assert.ok(files.length > 0, 'updates were mailed');
    for (const f of files) {
      const mail = await simpleParser(readFileSync(join(dir, f)));
      assert.doesNotMatch(typeof mail.html === 'string' ? mail.html : '', CANARY, `email ${f}`);
    }
  });
});
