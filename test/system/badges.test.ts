import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import request from 'supertest';
import { createIncident, patchIncident } from '../../server/domain/incidents/writes.js';
import { createComponent, updateComponent } from '../../server/domain/page/components.js';
import { createGroup } from '../../server/domain/page/groups.js';
import { COMPONENT_STATUSES, COMPONENT_STATUS_LABELS, type ComponentStatus } from '../../server/domain/page/status.js';
import { projectRoot } from '../../server/lib/paths.js';
import { badgeSvg, textWidth } from '../../server/snapshot/badges.js';
import { startPharos, type TestPharos } from '../helpers/pharos.js';
import { hasXmllint, parseXml, validateXml, xmllint } from '../helpers/xml.js';

const system = { type: 'system' } as const;
const HOSTILE = '<script>alert("badge")</script> & Co';

interface Badge {
  width: number;
  ariaLabel: string;
  title: string;
  /** The label's and the message's box widths and fills. */
  label: { width: number; fill: string; text: string; textLength: number; x: number };
  message: { x: number; width: number; fill: string; text: string; textLength: number; centre: number };
}

type Node = Record<string, unknown>;
const list = (v: unknown): Node[] => (Array.isArray(v) ? (v as Node[]) : v === undefined ? [] : [v as Node]);
const attr = (n: Node | undefined, name: string) => {
  const value = n?.[`@${name}`];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
};

/** The badge as an SVG reader sees it, checked well-formed first (fast-xml-parser, and xmllint where installed). */
function readBadge(t: TestContext, svg: string): Badge {
  assert.equal(validateXml(svg), true);
  if (hasXmllint) assert.equal(xmllint(svg), '', 'xmllint');
  else t.diagnostic('xmllint is not installed (Debian: libxml2-utils): checked by fast-xml-parser only');
  const root = parseXml(svg, ['rect', 'text', 'g']).svg as Node;
  assert.equal(attr(root, 'xmlns'), 'http://www.w3.org/2000/svg');
  assert.equal(attr(root, 'role'), 'img');
  const groups = list(root.g);
  const [grey, colour] = list(groups[0]?.rect);
  const texts = list(groups[1]?.text).filter((n) => attr(n, 'aria-hidden') !== 'true');
  const [labelText, messageText] = texts;
  return {
    width: Number(attr(root, 'width')),
    ariaLabel: attr(root, 'aria-label'),
    title: String(root.title),
    label: {
      width: Number(attr(grey, 'width')),
      fill: attr(grey, 'fill'),
      text: String(labelText?.['#text']),
      textLength: Number(attr(labelText, 'textLength')),
      x: Number(attr(labelText, 'x')),
    },
    message: {
      x: Number(attr(colour, 'x')),
      width: Number(attr(colour, 'width')),
      fill: attr(colour, 'fill'),
      text: String(messageText?.['#text']),
      textLength: Number(attr(messageText, 'textLength')),
      centre: Number(attr(messageText, 'x')),
    },
  };
}

/** The colours public/css/pharos.css gives statuses (light mode): each status's hue, as the banner's white-text fill. */
const css = readFileSync(join(projectRoot(), 'public', 'css', 'pharos.css'), 'utf8');
const variable = (name: string) => new RegExp(`--${name}:\\s*(#[0-9a-f]{6});`).exec(css)?.[1];
function statusColour(status: ComponentStatus): string | undefined {
  const hue = new RegExp(`\\.status--${status} \\{\\s*color: var\\(--([a-z]+)\\);`).exec(css)?.[1];
  return variable(`banner-${hue}`);
}

/** /badge.svg and /badge.svg?component=ID: shields-style flat badges of the page's and each component's status. */
describe('the status badges', () => {
  let p: TestPharos;
  let api = '';
  let db = '';
  let group = '';
  let hostile = '';

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${p.url}${path}`, { headers });
  const badge = async (t: TestContext, path: string) => {
    const res = await get(path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get('content-type'), 'image/svg+xml; charset=utf-8');
    return readBadge(t, await res.text());
  };

  before(async () => {
    p = await startPharos({ listen: true });
    group = createGroup(p.ctx, system, { name: 'Backend' }).id;
    api = createComponent(p.ctx, system, { name: 'API', group_id: group }).id;
    db = createComponent(p.ctx, system, { name: 'Database', group_id: group }).id;
    hostile = createComponent(p.ctx, system, { name: HOSTILE }).id;
  });
  after(() => p.close());

  it("shows the page's name and overall status, with a title and an accessible name, in the page's green", async (t) => {
    const b = await badge(t, '/badge.svg');
    assert.equal(b.ariaLabel, 'Acme Status: All Systems Operational');
    assert.equal(b.title, 'Acme Status: All Systems Operational');
    assert.equal(b.label.text, 'Acme Status');
    assert.equal(b.message.text, 'All Systems Operational');
    assert.equal(b.label.fill, '#555');
    assert.equal(b.message.fill, variable('banner-ok'));
  });

  it('is drawn to measure: boxes fit the text widths, the parts add up, each text centred in its box', async (t) => {
    const b = await badge(t, `/badge.svg?component=${api}`);
    assert.equal(b.label.width + b.message.width, b.width);
    assert.equal(b.message.x, b.label.width);
    for (const part of [b.label, b.message]) {
      assert.equal(part.textLength % 10, 0);
      assert.equal(part.width, part.textLength / 10 + 10, 'five pixels either side of the text');
    }
    assert.equal(b.label.x, (b.label.width / 2) * 10);
    assert.equal(b.message.centre, (b.label.width + b.message.width / 2) * 10);
    // Verdana 11 px: about 6–7 px a lower-case letter, "i" and "l" narrow, "m" and "W" wide.
    assert.ok(Math.abs(textWidth('Operational') - 66) < 4, `${textWidth('Operational')}`);
    assert.ok(textWidth('iiii') < textWidth('aaaa') && textWidth('aaaa') < textWidth('WWWW'));
    assert.ok(Math.abs(textWidth('é') - textWidth('e')) < 0.01, 'an accented letter as its base letter');
    assert.ok(textWidth('漢') >= textWidth('M'), 'anything else at least as wide as "M"');
  });

  it("changes text and colour with the component's status, and the page's with it", async (t) => {
    const operational = await badge(t, `/badge.svg?component=${api}`);
    assert.equal(operational.ariaLabel, 'API: Operational');
    assert.equal(operational.message.fill, statusColour('operational'));
    const etag = (await get(`/badge.svg?component=${api}`)).headers.get('etag') ?? '';
    const incident = createIncident(p.ctx, system, { name: 'API down', body: 'Down.', components: { [api]: 'major_outage' } });
    const down = await badge(t, `/badge.svg?component=${api}`);
    assert.equal(down.ariaLabel, 'API: Major outage');
    assert.equal(down.title, 'API: Major outage');
    assert.equal(down.message.text, 'Major outage');
    assert.equal(down.message.fill, statusColour('major_outage'));
    assert.notEqual(down.message.fill, operational.message.fill);
    assert.notEqual(down.message.width, operational.message.width, 'the box follows the text');
    assert.equal((await get(`/badge.svg?component=${api}`, { 'If-None-Match': etag })).status, 200, 'a new ETag');
    const page = await badge(t, '/badge.svg');
    assert.equal(page.ariaLabel, 'Acme Status: Major Service Outage');
    assert.equal(page.message.fill, variable('banner-critical'));
    const grouped = await badge(t, `/badge.svg?component=${group}`);
    assert.equal(grouped.ariaLabel, 'Backend: Major outage', "a group's: the worst of its components");
    assert.equal((await badge(t, `/badge.svg?component=${db}`)).ariaLabel, 'Database: Operational');
    patchIncident(p.ctx, system, incident.id, { status: 'resolved', body: 'Fixed.', components: { [api]: 'operational' } });
    assert.equal((await badge(t, '/badge.svg')).ariaLabel, 'Acme Status: All Systems Operational');
  });

  it('says every status in words and in its colour from the stylesheet', async (t) => {
    for (const status of COMPONENT_STATUSES) {
      updateComponent(p.ctx, system, db, { status });
      const b = await badge(t, `/badge.svg?component=${db}`);
      assert.equal(b.message.text, COMPONENT_STATUS_LABELS[status]);
      assert.ok(statusColour(status), `pharos.css has a colour for ${status}`);
      assert.equal(b.message.fill, statusColour(status), status);
    }
    assert.deepEqual(
      COMPONENT_STATUSES.map((s) => COMPONENT_STATUS_LABELS[s]),
      ['Operational', 'Degraded performance', 'Partial outage', 'Major outage', 'Under maintenance'],
    );
    const maintenance = await badge(t, '/badge.svg');
    assert.equal(maintenance.ariaLabel, 'Acme Status: Service Under Maintenance');
    assert.equal(maintenance.message.fill, variable('banner-maint'));
    updateComponent(p.ctx, system, db, { status: 'operational' });
  });

  it('keeps a hostile name text, and what XML cannot hold out', async (t) => {
    const res = await get(`/badge.svg?component=${hostile}`);
    const svg = await res.text();
    assert.doesNotMatch(svg, /<script/);
    const b = readBadge(t, svg);
    assert.equal(b.title, `${HOSTILE}: Operational`);
    assert.equal(b.ariaLabel, `${HOSTILE}: Operational`);
    assert.equal(b.label.text, HOSTILE);
    // Control characters and U+FFFE are not XML even escaped: dropped; line breaks become spaces.
    const odd = readBadge(t, badgeSvg('a\u0001b\uFFFE\n c', 'ok\u0000', '#1a7f4b'));
    assert.equal(odd.ariaLabel, 'ab c: ok');
  });

  it('answers from the snapshot with an ETag (304), the public cache headers, embeddable from other sites; unknown is 404', async () => {
    for (const path of ['/badge.svg', `/badge.svg?component=${api}`]) {
      const first = await get(path, { 'Accept-Encoding': 'gzip' });
      const etag = first.headers.get('etag') ?? '';
      assert.match(etag, /^"[A-Za-z0-9_-]{27}(-gz)?"$/);
      assert.equal(first.headers.get('cache-control'), 'public, no-cache, stale-if-error=86400');
      assert.match(first.headers.get('cdn-cache-control') ?? '', /max-age=5/);
      assert.equal(first.headers.get('cross-origin-resource-policy'), 'cross-origin', 'an <img> on another site may show it');
      assert.equal(first.headers.get('access-control-allow-origin'), '*');
      assert.equal(first.headers.get('x-content-type-options'), 'nosniff');
      const text = await first.text();
      const again = await get(path, { 'Accept-Encoding': 'gzip', 'If-None-Match': etag });
      assert.equal(again.status, 304);
      await again.text();
      const viaExpress = await request(p.app)
        .get(path)
        .set('Accept-Encoding', 'gzip')
        .buffer(true)
        .parse((res, done) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => done(null, body));
        });
      assert.equal(viaExpress.headers.etag, etag, `${path}: Express serves the same document`);
      assert.equal(viaExpress.headers['cross-origin-resource-policy'], 'cross-origin');
      assert.equal(viaExpress.body, text);
    }
    assert.equal((await get(`/badge.svg?component=${api}&style=flat`)).status, 200, 'other parameters are ignored');
    for (const path of ['/badge.svg?component=nosuch', `/badge.svg?component=${api}x`]) {
      const res = await get(path);
      assert.equal(res.status, 404, path);
      await res.text();
    }
  });
});
