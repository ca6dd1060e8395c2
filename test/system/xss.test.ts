import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createUser } from '../../server/domain/access/users.js';
import { csrfOf, PASSWORD, signIn, startPharos, submit, type Agent, type TestPharos } from '../helpers/pharos.js';
import { viewer } from '../helpers/viewer.js';

/**
 * Hostile text typed by an operator (or sent by automation) is shown as text everywhere it appears:
 * on the status page, an incident's page, the history, the admin pages and the live fragments; the
 * JSON APIs return it unchanged, as data.
 */

const PAYLOADS = {
  script: '<script>alert(1)</script>',
  img: '<img src=x onerror=alert(1)>',
  svg: '"><svg onload=alert(1)>',
  link: '[click](javascript:alert(1))',
} as const;
type Kind = keyof typeof PAYLOADS;
const KINDS = Object.keys(PAYLOADS) as Kind[];

/** More ways out of a context or into a URL, for one extra incident. */
const EXTRA_NAME = 'X </title></textarea><script>alert(1)</script>';
const EXTRA_BODY = [
  '</textarea><img src=x onerror=alert(1)>',
  '[a](JaVaScRiPt:alert(1))',
  '<javascript:alert(1)>',
  '[c](vbscript:msgbox(1))',
  '[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '![e](javascript:alert(1))',
  '[f](javascript&#58;alert(1))',
  '[g][ref]\n\n[ref]: javascript:alert(1)',
  '[l](https://ok.example/"onmouseover="alert(1))',
].join('\n\n');

const ADMIN_NAME = '<script>alert(1)</script> admin';
const KEY_NAME = '"><svg onload=alert(1)> key';

// ---------------------------------------------------------------------------------------------------
// What "inert" and "shown" mean.

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", colon: ':', tab: '\t', newline: '\n' };

/** Entity-decodes an attribute value as a browser does. */
function decodeEntities(s: string): string {
  return s.replace(/&(?:#x([0-9a-f]+)|#(\d+)|([a-z]+));?/gi, (m, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
    if (hex) return String.fromCodePoint(Number.parseInt(hex, 16));
    if (dec) return String.fromCodePoint(Number.parseInt(dec, 10));
    return (name && NAMED[name.toLowerCase()]) ?? m;
  });
}

const URL_ATTRIBUTES = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster', 'background']);
const FOREIGN_TAGS = new Set(['img', 'svg', 'iframe', 'object', 'embed', 'math', 'base', 'frame', 'frameset', 'video', 'audio']);

/** No markup of the payloads: no script of theirs, no event handler, no dangerous URL, no foreign tag. */
function assertInert(html: string, where: string): void {
  assert.doesNotMatch(html, /<script>alert/i, `${where}: raw <script>alert`);
  assert.doesNotMatch(html, /<img src=x onerror/i, `${where}: raw <img src=x onerror`);
  assert.doesNotMatch(html, /<svg onload/i, `${where}: raw <svg onload`);
  assert.doesNotMatch(html, /href\s*=\s*["']?\s*javascript:/i, `${where}: href="javascript:`);
  assert.doesNotMatch(html, /<script\b[^>]*>(?!<\/script>)/i, `${where}: an inline script`);
  for (const tag of html.match(/<[a-zA-Z][^>]*>/g) ?? []) {
    const name = (/^<([a-zA-Z][\w:-]*)/.exec(tag)?.[1] ?? '').toLowerCase();
    assert.ok(!FOREIGN_TAGS.has(name), `${where}: a <${name}> tag: ${tag}`);
    if (name === 'script') assert.match(tag, /^<script src="\/[\w./-]+(\?v=[0-9a-f]+)?">$/, `${where}: a script tag of unknown origin: ${tag}`);
    const attrs = tag.slice(name.length + 1).matchAll(/([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g);
    for (const [, attr = '', dq, sq, bare] of attrs) {
      const attrName = attr.toLowerCase();
      assert.ok(!attrName.startsWith('on'), `${where}: an event handler attribute ${attr} in ${tag}`);
      if (attrName === 'srcdoc') assert.fail(`${where}: srcdoc in ${tag}`);
      if (URL_ATTRIBUTES.has(attrName)) {
        const url = decodeEntities(dq ?? sq ?? bare ?? '')
          // eslint-disable-next-line no-control-regex
          .replace(/[\u0000-\u0020]/g, '')
          .toLowerCase();
        assert.doesNotMatch(url, /^(javascript|vbscript|data):/, `${where}: ${attr}=${url} in ${tag}`);
      }
    }
  }
}

const ESCAPED: Record<string, string> = {
  '<': '&lt;',
  '>': '&gt;',
  '&': '&amp;',
  '"': '(?:&quot;|&#x22;|&#34;)',
  "'": '(?:&#x27;|&#39;|&apos;)',
  '=': '(?:=|&#x3D;|&#61;)',
  '`': '(?:`|&#x60;|&#96;)',
};

/** The text appears as text: every markup character escaped. */
function assertShown(html: string, text: string, where: string): void {
  const pattern = [...text].map((c) => ESCAPED[c] ?? c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('');
  assert.match(html, new RegExp(pattern), `${where}: the text ${JSON.stringify(text)} is not shown (escaped)`);
}

function assertPage(html: string, where: string, texts: string[]): void {
  assertInert(html, where);
  for (const t of texts) assertShown(html, t, where);
}

// ---------------------------------------------------------------------------------------------------

interface Made {
  group: string;
  component: string;
  incident: string;
  update: string;
  apiComponent: string;
  apiIncident: string;
}

const t = {
  group: (k: Kind) => `G-${k} ${PAYLOADS[k]}`,
  groupDescription: (k: Kind) => `GD-${k} ${PAYLOADS[k]}`,
  component: (k: Kind) => `C-${k} ${PAYLOADS[k]}`,
  componentDescription: (k: Kind) => `CD-${k} ${PAYLOADS[k]}`,
  incident: (k: Kind) => `I-${k} ${PAYLOADS[k]}`,
  firstBody: (k: Kind) => `B-${k} ${PAYLOADS[k]}`,
  updateBody: (k: Kind) => `U-${k} ${PAYLOADS[k]}`,
  apiComponent: (k: Kind) => `AC-${k} ${PAYLOADS[k]}`,
  apiComponentDescription: (k: Kind) => `ACD-${k} ${PAYLOADS[k]}`,
  apiIncident: (k: Kind) => `AI-${k} ${PAYLOADS[k]}`,
  apiBody: (k: Kind) => `AB-${k} ${PAYLOADS[k]}`,
  apiResolvedBody: (k: Kind) => `AR-${k} ${PAYLOADS[k]}`,
};

describe('hostile text is rendered inert', () => {
  let p: TestPharos;
  let admin: Agent;
  let apiKey: string;
  let v1: string;
  let extraIncident: string;
  const made = new Map<Kind, Made>();
  const idBy = (table: string, name: string) => p.ctx.db.prepare(`SELECT id FROM ${table} WHERE name = ?`).pluck().get(name) as string;

  const api = (method: 'post' | 'patch' | 'get', path: string) => request(p.app)[method](`${v1}${path}`).set('Authorization', `Bearer ${apiKey}`);

  before(async () => {
    p = await startPharos({ listen: true });
    await createUser(p.ctx, { type: 'system' }, { email: 'admin@example.com', password: PASSWORD, role: 'admin', name: ADMIN_NAME });
    admin = await signIn(p, 'admin@example.com');
    v1 = `/api/v1/pages/${p.ctx.pageId}`;

    // An API key with a hostile name, through the admin form; it is shown once.
    const created = await submit(admin, '/admin/api-keys', '/admin/api-keys', { name: KEY_NAME, confirm_password: PASSWORD });
    assert.equal(created.status, 201);
    const key = /<code class="secret">([^<]+)<\/code>/.exec(created.text)?.[1];
    assert.ok(key, 'the new key is shown');
    apiKey = key;
    assertPage(created.text, 'the new API key page', [KEY_NAME]);

    for (const k of KINDS) {
      // Through the admin forms: a group, a component in it, an incident, an update.
      const g = await submit(admin, '/admin/groups/new', '/admin/groups', { name: t.group(k), description: t.groupDescription(k) });
      assert.equal(g.status, 303, `group ${k}`);
      const group = idBy('component_groups', t.group(k));
      const c = await submit(admin, '/admin/components/new', '/admin/components', {
        name: t.component(k),
        description: t.componentDescription(k),
        status: 'operational',
        group_id: group,
        showcase: 'on',
      });
      assert.equal(c.status, 303, `component ${k}`);
      const component = idBy('components', t.component(k));
      const i = await submit(admin, '/admin/incidents/new', '/admin/incidents', {
        name: t.incident(k),
        status: 'investigating',
        body: t.firstBody(k),
        deliver_notifications: 'on',
        [`components.${component}`]: 'partial_outage',
      });
      assert.equal(i.status, 303, `incident ${k}`);
      const incident = idBy('incidents', t.incident(k));
      p.clock.advance(60_000);
      const u = await submit(admin, `/admin/incidents/${incident}`, `/admin/incidents/${incident}/updates`, {
        status: 'identified',
        body: t.updateBody(k),
      });
      assert.equal(u.status, 303, `update ${k}`);
      const update = p.ctx.db.prepare('SELECT id FROM incident_updates WHERE body = ?').pluck().get(t.updateBody(k)) as string;

      // Through the v1 API: a component and an incident, resolved.
      const ac = await api('post', '/components')
        .send({ component: { name: t.apiComponent(k), description: t.apiComponentDescription(k), status: 'operational' } })
        .expect(201);
      const apiComponent = (ac.body as { id: string }).id;
      const ai = await api('post', '/incidents')
        .send({ incident: { name: t.apiIncident(k), status: 'investigating', body: t.apiBody(k), components: { [apiComponent]: 'major_outage' } } })
        .expect(201);
      const apiIncident = (ai.body as { id: string }).id;
      p.clock.advance(60_000);
      await api('patch', `/incidents/${apiIncident}`)
        .send({ incident: { status: 'resolved', body: t.apiResolvedBody(k) } })
        .expect(200);
      made.set(k, { group, component, incident, update, apiComponent, apiIncident });
    }

    const x = await submit(admin, '/admin/incidents/new', '/admin/incidents', { name: EXTRA_NAME, status: 'investigating', body: EXTRA_BODY });
    assert.equal(x.status, 303);
    extraIncident = idBy('incidents', EXTRA_NAME);
  });
  after(() => p.close());

  const each = (f: (k: Kind, m: Made) => string[]): string[] => KINDS.flatMap((k) => f(k, made.get(k) as Made));

  it('stored every hostile string as typed', () => {
    for (const k of KINDS) {
      const m = made.get(k);
      assert.ok(m);
      assert.equal(p.ctx.db.prepare('SELECT name FROM incidents WHERE id = ?').pluck().get(m.incident), t.incident(k));
      assert.equal(p.ctx.db.prepare('SELECT description FROM components WHERE id = ?').pluck().get(m.component), t.componentDescription(k));
    }
  });

  it('shows the status page with every name as text', async () => {
    const res = await request(p.app).get('/').expect(200);
    assertPage(res.text, '/', [
      ...each((k) => [t.group(k), t.component(k), t.componentDescription(k), t.apiComponent(k), t.apiComponentDescription(k)]),
      ...each((k) => [t.incident(k), t.updateBody(k), t.apiIncident(k)]),
      EXTRA_NAME,
    ]);
    assert.match(res.text, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  });

  it('shows each incident page with its name, updates and components as text', async () => {
    for (const k of KINDS) {
      const m = made.get(k);
      assert.ok(m);
      const own = await request(p.app).get(`/incidents/${m.incident}`).expect(200);
      assertPage(own.text, `/incidents/${m.incident} (${k})`, [t.incident(k), t.firstBody(k), t.updateBody(k), t.component(k), t.componentDescription(k)]);
      const viaApi = await request(p.app).get(`/incidents/${m.apiIncident}`).expect(200);
      assertPage(viaApi.text, `/incidents/${m.apiIncident} (${k}, API)`, [
        t.apiIncident(k),
        t.apiBody(k),
        t.apiResolvedBody(k),
        t.apiComponent(k),
        t.apiComponentDescription(k),
      ]);
    }
    const extra = await request(p.app).get(`/incidents/${extraIncident}`).expect(200);
    assertPage(extra.text, `/incidents/${extraIncident} (Markdown links)`, [EXTRA_NAME, '[a](JaVaScRiPt:alert(1))', '[c](vbscript:msgbox(1))']);
  });

  it('shows the history with every incident name as text', async () => {
    const res = await request(p.app).get('/history').expect(200);
    assertPage(res.text, '/history', [...each((k) => [t.incident(k), t.apiIncident(k)]), EXTRA_NAME]);
  });

  it('shows the admin dashboard with every incident name as text', async () => {
    const res = await admin.get('/admin').expect(200);
    assertPage(res.text, '/admin', [...each((k) => [t.incident(k), t.apiIncident(k)]), EXTRA_NAME]);
  });

  it('shows the admin incident pages with names, bodies, components and authors as text', async () => {
    for (const k of KINDS) {
      const m = made.get(k);
      assert.ok(m);
      const res = await admin.get(`/admin/incidents/${m.incident}`).expect(200);
      assertPage(res.text, `/admin/incidents/${m.incident} (${k})`, [
        t.incident(k),
        t.firstBody(k),
        t.updateBody(k),
        t.component(k),
        t.group(k),
        ADMIN_NAME,
        ...each((kk) => [t.component(kk), t.apiComponent(kk)]),
      ]);
      const viaApi = await admin.get(`/admin/incidents/${m.apiIncident}`).expect(200);
      assertPage(viaApi.text, `/admin/incidents/${m.apiIncident} (${k}, API)`, [
        t.apiIncident(k),
        t.apiBody(k),
        t.apiResolvedBody(k),
        t.apiComponent(k),
        KEY_NAME,
      ]);
    }
    const extra = await admin.get(`/admin/incidents/${extraIncident}`).expect(200);
    assertPage(extra.text, `/admin/incidents/${extraIncident}`, [EXTRA_NAME]);
  });

  it('shows the admin components page with every group and component name as text', async () => {
    const res = await admin.get('/admin/components').expect(200);
    assertPage(
      res.text,
      '/admin/components',
      each((k) => [t.group(k), t.component(k), t.apiComponent(k)]),
    );
  });

  it('keeps hostile text inert in every other admin page that shows it', async () => {
    for (const k of KINDS) {
      const m = made.get(k);
      assert.ok(m);
      const pages: [string, string[]][] = [
        ['/admin/incidents/new', [t.component(k), t.group(k)]],
        [`/admin/incidents/${m.incident}/edit`, [t.incident(k)]],
        [`/admin/incidents/${m.incident}/delete`, [t.incident(k)]],
        [`/admin/incidents/${m.incident}/updates/${m.update}/edit`, [t.incident(k), t.updateBody(k)]],
        [`/admin/incidents/${m.incident}/updates/${m.update}/delete`, [t.incident(k), t.updateBody(k)]],
        [`/admin/components/${m.component}/edit`, [t.component(k), t.componentDescription(k), t.group(k)]],
        [`/admin/components/${m.component}/delete`, [t.component(k)]],
        [`/admin/components/${m.apiComponent}/edit`, [t.apiComponent(k), t.apiComponentDescription(k)]],
        [`/admin/groups/${m.group}/edit`, [t.group(k), t.groupDescription(k)]],
        [`/admin/groups/${m.group}/delete`, [t.group(k)]],
      ];
      for (const [path, texts] of pages) {
        const res = await admin.get(path).expect(200);
        assertPage(res.text, `${path} (${k})`, texts);
      }
    }
    for (const [path, texts] of [
      ['/admin/users', [ADMIN_NAME]],
      ['/admin/api-keys', [KEY_NAME]],
      [`/admin/incidents/${extraIncident}/edit`, [EXTRA_NAME]],
    ] as const) {
      const res = await admin.get(path).expect(200);
      assertPage(res.text, path, [...texts]);
    }
  });

  it('keeps typed hostile text inert when a form comes back with errors', async () => {
    const component = await submit(admin, '/admin/components/new', '/admin/components', {
      name: t.component('svg'),
      description: t.componentDescription('img'),
      status: 'not-a-status',
    });
    assert.equal(component.status, 422);
    assertPage(component.text, 'the component form after an error', [t.component('svg'), t.componentDescription('img')]);

    const incident = await submit(admin, '/admin/incidents/new', '/admin/incidents', {
      name: t.incident('script'),
      body: `</textarea>${PAYLOADS.img}`,
      status: 'not-a-status',
    });
    assert.equal(incident.status, 422);
    assertPage(incident.text, 'the incident form after an error', [t.incident('script'), `</textarea>${PAYLOADS.img}`]);

    const anon = request.agent(p.app);
    const form = await anon.get('/admin/login').expect(200);
    const login = await anon
      .post('/admin/login')
      .type('form')
      .send({ _csrf: csrfOf(form.text), email: PAYLOADS.svg, password: 'whatever it is' });
    assert.equal(login.status, 401);
    assertPage(login.text, 'the login form after a failure', [PAYLOADS.svg]);
  });

  it('keeps hostile text in the URL inert', async () => {
    const next = `/${PAYLOADS.svg}${PAYLOADS.script}`;
    const login = await request(p.app)
      .get(`/admin/login?next=${encodeURIComponent(next)}`)
      .expect(200);
    assertInert(login.text, 'the login form with a hostile next');
    const notFound = await request(p.app)
      .get(`/incidents/${encodeURIComponent(PAYLOADS.script)}`)
      .expect(404);
    assertInert(notFound.text, 'a 404 for a hostile incident id');
    const redirect = await request(p.app)
      .get(`/admin/${encodeURIComponent(PAYLOADS.svg)}`)
      .set('Accept', 'text/html')
      .expect(303);
    assertInert(redirect.text, 'the redirect to the login form');
  });

  it('forbids inline scripts through the Content-Security-Policy', async () => {
    for (const res of [await request(p.app).get('/'), await admin.get('/admin')]) {
      const csp = String(res.headers['content-security-policy'] ?? '');
      assert.match(csp, /script-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    }
  });

  it('returns the raw strings as data from the JSON APIs', async () => {
    for (const k of KINDS) {
      const m = made.get(k);
      assert.ok(m);
      const incident = await api('get', `/incidents/${m.incident}`)
        .expect(200)
        .expect('Content-Type', /^application\/json/);
      const body = incident.body as { name: string; incident_updates: { body: string }[]; components: { name: string; description: string }[] };
      assert.equal(body.name, t.incident(k));
      assert.deepEqual(
        body.incident_updates.map((u) => u.body),
        [t.updateBody(k), t.firstBody(k)],
      );
      assert.equal(body.components[0]?.name, t.component(k));
      assert.equal(body.components[0]?.description, t.componentDescription(k));
      const component = await api('get', `/components/${m.apiComponent}`).expect(200);
      assert.equal((component.body as { name: string }).name, t.apiComponent(k));
    }
    const summary = await request(p.app)
      .get('/api/v2/summary.json')
      .expect(200)
      .expect('Content-Type', /^application\/json/);
    assert.equal(summary.headers['x-content-type-options'], 'nosniff');
    const s = summary.body as { components: { name: string; description: string | null; group: boolean }[]; incidents: { name: string }[] };
    const names = s.components.map((c) => c.name);
    for (const k of KINDS) {
      assert.ok(names.includes(t.group(k)), `group ${k} in summary.json`);
      assert.ok(names.includes(t.component(k)), `component ${k} in summary.json`);
      assert.ok(
        s.components.some((c) => c.group && c.description === t.groupDescription(k)),
        `group description ${k}`,
      );
      assert.ok(
        s.incidents.some((i) => i.name === t.incident(k)),
        `incident ${k} in summary.json`,
      );
    }
  });

  it('sends live fragments with every name as text, on connection and after a change', async () => {
    const v = viewer(p.url);
    try {
      const first = await v.next(() => true);
      const { banner, components, incidents, past } = first.html;
      assertInert(banner, 'live banner');
      assertPage(
        components,
        'live components',
        each((k) => [t.group(k), t.component(k), t.componentDescription(k), t.apiComponent(k)]),
      );
      assertPage(incidents, 'live incidents', [...each((k) => [t.incident(k), t.updateBody(k)]), EXTRA_NAME]);
      assertPage(
        past,
        'live past incidents',
        each((k) => [t.apiIncident(k)]),
      );
      assertInert(first.title, 'live title');

      const live = `L-live ${PAYLOADS.svg}`;
      const description = Object.values(PAYLOADS).join(' ');
      const changed = v.next((u) => u.version > first.version && u.html.components.includes('L-live'));
      await api('post', '/components')
        .send({ component: { name: live, description, status: 'major_outage' } })
        .expect(201);
      const next = await changed;
      for (const [region, html] of Object.entries(next.update.html)) assertInert(html, `live ${region} after a change`);
      for (const [id, row] of Object.entries(next.update.rows ?? {})) assertInert(row, `live row ${id} after a change`);
      assertShown(next.html.components, live, 'live components after a change');
      assertShown(next.html.components, description, 'live components after a change');
    } finally {
      v.socket.disconnect();
    }
  });
});
