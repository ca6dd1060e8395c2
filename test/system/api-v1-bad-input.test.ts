import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { TestPharos } from '../helpers/pharos.js';
import { obj, type Json } from '../helpers/statuspage.js';
import { apiV1World } from './api-v1-world.js';

/**
 * The management API, in Statuspage's v1 shapes, through HTTP as automation uses it: bad input is refused
 * with a JSON error naming the field, and changes nothing. Against the components API, Web app and Database
 * and one open incident.
 */

describe('management API v1 (Statuspage compatible)', () => {
  const w = apiV1World();
  const { seen, components, track, call, raw, rejected } = w;
  let p: TestPharos;
  let key = '';
  let base = '';
  let incidentId = '';

  before(async () => {
    ({ p, key, base } = await w.start());
    await w.addComponents();
    const res = await call('post', '/incidents', { incident: { name: 'Extra fields', status: 'investigating', body: 'Hi.' } });
    assert.equal(res.status, 201, res.text);
    incidentId = String(obj(res.body as unknown, 'incident').id);
  });
  after(() => w.close());

  describe('bad input', () => {
    const valid = () => ({ name: 'Valid', status: 'investigating', body: 'Text.' });

    it('answers malformed JSON with 400 and an error code, changing nothing', async () => {
      for (const text of ['{"incident": ', '{"incident": {"name": "x",}}', 'not json', '{"incident": {"name": "x"}}}']) {
        const error = await rejected(() => raw('post', '/incidents', text), 400, `POST ${JSON.stringify(text)}`);
        assert.equal(typeof error.code, 'string');
        await rejected(() => raw('patch', `/incidents/${incidentId}`, text), 400, `PATCH ${JSON.stringify(text)}`);
      }
    });

    it('answers a body over 1 MB with 413, changing nothing', async () => {
      const big = JSON.stringify({ incident: { ...valid(), body: 'x'.repeat(1_100_000) } });
      assert.ok(Buffer.byteLength(big) > 1024 * 1024);
      await rejected(() => raw('post', '/incidents', big), 413, 'POST over 1 MB');
      await rejected(() => raw('patch', `/incidents/${incidentId}`, big), 413, 'PATCH over 1 MB');
    });

    /** [what, the incident object (given the API component's id), the field error.fields must name]. */
    const posts: [string, (api: string) => Json, (api: string) => string][] = [
      ['name: 123', () => ({ ...valid(), name: 123 }), () => 'incident.name'],
      ['an empty name', () => ({ ...valid(), name: '   ' }), () => 'incident.name'],
      ['no name', () => ({ status: 'investigating' }), () => 'incident.name'],
      ['status: "broken"', () => ({ ...valid(), status: 'broken' }), () => 'incident.status'],
      ['impact_override: "huge"', () => ({ ...valid(), impact_override: 'huge' }), () => 'incident.impact_override'],
      ['body: 5', () => ({ ...valid(), body: 5 }), () => 'incident.body'],
      ['a component "on_fire"', (api) => ({ ...valid(), components: { [api]: 'on_fire' } }), (api) => `incident.components.${api}`],
      ['an unknown component', () => ({ ...valid(), components: { nosuchcomponent: 'major_outage' } }), () => 'incident.components.nosuchcomponent'],
      [
        'one good and one unknown component',
        (api) => ({ ...valid(), components: { [api]: 'major_outage', nosuchcomponent: 'major_outage' } }),
        () => 'incident.components.nosuchcomponent',
      ],
      ['components as a list', (api) => ({ ...valid(), components: [api] }), () => 'incident.components'],
      ['an unknown id in component_ids', () => ({ ...valid(), component_ids: ['nosuchcomponent'] }), () => 'incident.component_ids'],
      ['component_ids as text', (api) => ({ ...valid(), component_ids: api }), () => 'incident.component_ids'],
      ['deliver_notifications: "maybe"', () => ({ ...valid(), deliver_notifications: 'maybe' }), () => 'incident.deliver_notifications'],
      ['started_at: "yesterday"', () => ({ ...valid(), started_at: 'yesterday' }), () => 'incident.started_at'],
    ];
    for (const [what, make, field] of posts) {
      it(`POST with ${what} → 422 naming the field, changing nothing`, async () => {
        const api = components.API ?? '';
        await rejected(() => call('post', '/incidents', { incident: make(api) }), 422, `POST ${what}`, field(api));
      });
    }

    const patches: [string, (api: string) => Json, (api: string) => string][] = [
      ['name: 123', () => ({ name: 123 }), () => 'incident.name'],
      ['status: "broken"', () => ({ status: 'broken' }), () => 'incident.status'],
      ['a component "on_fire"', (api) => ({ status: 'identified', components: { [api]: 'on_fire' } }), (api) => `incident.components.${api}`],
      ['an unknown component', () => ({ status: 'identified', components: { nosuchcomponent: 'major_outage' } }), () => 'incident.components.nosuchcomponent'],
      [
        'a new name and an unknown component',
        () => ({ name: 'Renamed', components: { nosuchcomponent: 'major_outage' } }),
        () => 'incident.components.nosuchcomponent',
      ],
      ['an unknown id in component_ids (with a status)', () => ({ status: 'identified', component_ids: ['nosuchcomponent'] }), () => 'incident.component_ids'],
      ['an unknown id in component_ids (alone)', () => ({ component_ids: ['nosuchcomponent'] }), () => 'incident.component_ids'],
      ['an unknown id in component_ids (with a new name)', () => ({ name: 'Renamed', component_ids: ['nosuchcomponent'] }), () => 'incident.component_ids'],
    ];
    for (const [what, make, field] of patches) {
      it(`PATCH with ${what} → 422 naming the field, changing nothing`, async () => {
        const api = components.API ?? '';
        await rejected(() => call('patch', `/incidents/${incidentId}`, { incident: make(api) }), 422, `PATCH ${what}`, field(api));
      });
    }

    it('POST with the component id "__proto__" (an unknown component) → 422, changing nothing', async () => {
      const text = JSON.stringify({ incident: valid() }).replace(/}}$/, ',"components":{"__proto__":"major_outage"}}}');
      assert.match(text, /"components":\{"__proto__":"major_outage"\}/);
      await rejected(() => raw('post', '/incidents', text), 422, 'POST components.__proto__', 'incident.components.__proto__');
    });

    it('answers 40,000 bad fields with a short 422: the first 100 named, the rest counted', async () => {
      const many = Object.fromEntries(Array.from({ length: 40_000 }, (_, i) => [`n${i}`, 'partial_outage']));
      const error = await rejected(
        () => call('post', '/incidents', { incident: { ...valid(), components: many } }),
        422,
        'POST 40,000 unknown components',
        'incident.components.n0',
      );
      const res = seen.at(-1);
      assert.ok(res);
      assert.equal(Object.keys(obj(error.fields, 'fields')).length, 100);
      assert.equal(error.fields_omitted, 39_900);
      assert.ok(String(error.message).length < 300, `a short message: ${String(error.message).slice(0, 100)}`);
      assert.ok(JSON.stringify(error).length < 20_000, `${JSON.stringify(error).length} characters`);
    });

    it('answers a missing or malformed envelope with 422 naming "incident", changing nothing', async () => {
      for (const body of [valid(), { incident: 'Valid' }, { incident: null }, { incident: [valid()] }, [valid()], {}]) {
        await rejected(() => call('post', '/incidents', body), 422, `POST ${JSON.stringify(body)}`, 'incident');
        await rejected(() => call('patch', `/incidents/${incidentId}`, body), 422, `PATCH ${JSON.stringify(body)}`, 'incident');
      }
      // No JSON content type at all: there is no envelope either.
      await rejected(
        async () => track('text/plain', await request(p.app).post(`${base}/incidents`).set('Authorization', `OAuth ${key}`).type('text').send('name=x')),
        422,
        'POST text/plain',
        'incident',
      );
    });

    const undecodable: [string, 'get' | 'patch' | 'delete', (base: string) => string, unknown, string | null, number[]][] = [
      ['GET an incident', 'get', (b) => `${b}/incidents/%E0%A4%A`, undefined, 'key', [400, 404]],
      ['PATCH an incident', 'patch', (b) => `${b}/incidents/%ZZ`, { incident: { status: 'resolved' } }, 'key', [400, 404]],
      ['DELETE an incident', 'delete', (b) => `${b}/incidents/%ZZ`, undefined, 'key', [400, 404]],
      ['PATCH a component', 'patch', (b) => `${b}/components/%ZZ`, { component: { status: 'major_outage' } }, 'key', [400, 404]],
      ['GET incidents of page id "%ZZ"', 'get', () => '/api/v1/pages/%ZZ/incidents', undefined, 'key', [400, 404]],
      ['GET incidents of page id "%ZZ" without a key', 'get', () => '/api/v1/pages/%ZZ/incidents', undefined, null, [400, 401, 404]],
    ];
    for (const [what, method, path, body, auth, statuses] of undecodable) {
      it(`${what} with a path that is not valid percent-encoding → ${statuses.join('/')}, not 500`, async () => {
        await rejected(
          async () => {
            let req = request(p.app)[method](path(base));
            if (auth !== null) req = req.set('Authorization', `OAuth ${key}`);
            if (body !== undefined) req = req.send(body as object);
            return track(what, await req);
          },
          statuses,
          `${what} (${path(base)})`,
        );
      });
    }

    for (const encoding of ['gzip', 'deflate', 'br']) {
      it(`POST with Content-Encoding: ${encoding} and a body that does not decode → 400, not 500`, async () => {
        await rejected(
          async () =>
            track(
              `Content-Encoding ${encoding}`,
              await request(p.app)
                .post(`${base}/incidents`)
                .set('Authorization', `OAuth ${key}`)
                .set('Content-Type', 'application/json')
                .set('Content-Encoding', encoding)
                .send('{"incident": {"name": "not compressed"}}'),
            ),
          400,
          `POST with Content-Encoding: ${encoding} and a plain body`,
        );
      });
    }

    it('never answered 500 to any request in this file', () => {
      assert.ok(seen.length > 50, 'many requests were made');
      assert.deepEqual(
        seen.filter((s) => s.status >= 500),
        [],
      );
    });
  });
});
