import assert from 'node:assert/strict';
import request from 'supertest';
import { createUser } from '../../server/domain/access/users.js';
import { PASSWORD, signIn, startPharos, submit } from '../helpers/pharos.js';

/**
 * What the hostile-text tests (xss-*.test.ts) share: the payloads, what "inert" and "shown" mean, and
 * a Pharos where an operator (and automation) typed hostile text into everything that is shown.
 */

export const PAYLOADS = {
  script: '<script>alert(1)</script>',
  img: '<img src=x onerror=alert(1)>',
  svg: '"><svg onload=alert(1)>',
  link: '[click](javascript:alert(1))',
} as const;
export type Kind = keyof typeof PAYLOADS;
export const KINDS = Object.keys(PAYLOADS) as Kind[];

/** More ways out of a context or into a URL, for one extra incident. */
export const EXTRA_NAME = 'X </title></textarea><script>alert(1)</script>';
export const EXTRA_BODY = [
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

export const ADMIN_NAME = '<script>alert(1)</script> admin';
export const KEY_NAME = '"><svg onload=alert(1)> key';

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
export function assertInert(html: string, where: string): void {
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
export function assertShown(html: string, text: string, where: string): void {
  const pattern = [...text].map((c) => ESCAPED[c] ?? c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('');
  assert.match(html, new RegExp(pattern), `${where}: the text ${JSON.stringify(text)} is not shown (escaped)`);
}

export function assertPage(html: string, where: string, texts: string[]): void {
  assertInert(html, where);
  for (const t of texts) assertShown(html, t, where);
}

// ---------------------------------------------------------------------------------------------------

export interface Made {
  group: string;
  component: string;
  incident: string;
  update: string;
  apiComponent: string;
  apiIncident: string;
}

export const t = {
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

/**
 * A Pharos (listening, for the live fragments) with an admin whose name is hostile and an API key named
 * the same way; for each payload a group, a component in it, an incident and an update typed into the
 * admin forms, and a component and an incident (resolved) sent through the v1 API; and one more incident
 * with more ways out of a context or into a URL.
 */
export async function startHostileWorld() {
  const p = await startPharos({ listen: true });
  await createUser(p.ctx, { type: 'system' }, { email: 'admin@example.com', password: PASSWORD, role: 'admin', name: ADMIN_NAME });
  const admin = await signIn(p, 'admin@example.com');
  const v1 = `/api/v1/pages/${p.ctx.pageId}`;
  const made = new Map<Kind, Made>();
  const idBy = (table: string, name: string) => p.ctx.db.prepare(`SELECT id FROM ${table} WHERE name = ?`).pluck().get(name) as string;

  // An API key with a hostile name, through the admin form; it is shown once.
  const created = await submit(admin, '/admin/api-keys', '/admin/api-keys', { name: KEY_NAME, confirm_password: PASSWORD });
  assert.equal(created.status, 201);
  const key = /<code class="secret">([^<]+)<\/code>/.exec(created.text)?.[1];
  assert.ok(key, 'the new key is shown');
  const apiKey = key;
  assertPage(created.text, 'the new API key page', [KEY_NAME]);

  /** A request to the v1 API, with that key. */
  const api = (method: 'post' | 'patch' | 'get', path: string) => request(p.app)[method](`${v1}${path}`).set('Authorization', `Bearer ${apiKey}`);

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
  const extraIncident = idBy('incidents', EXTRA_NAME);

  /** The texts `f` names for every payload, together. */
  const each = (f: (k: Kind, m: Made) => string[]): string[] => KINDS.flatMap((k) => f(k, made.get(k) as Made));
  return { p, admin, api, made, each, extraIncident };
}

export type HostileWorld = Awaited<ReturnType<typeof startHostileWorld>>;
