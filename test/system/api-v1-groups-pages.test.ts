import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { TestPharos } from '../helpers/pharos.js';
import { arr, exactKeys, isoTime, obj, type Json } from '../helpers/statuspage.js';
import { apiV1World } from './api-v1-world.js';

const GROUP_KEYS = ['id', 'page_id', 'name', 'description', 'components', 'position', 'created_at', 'updated_at'];
const PAGE_KEYS = ['id', 'name', 'domain', 'url', 'support_url', 'time_zone', 'css_link_color', 'updated_at'];

/** Component groups and the page itself through the v1 API, in Statuspage's shapes. */
describe('management API v1: component groups and the page', () => {
  const w = apiV1World();
  const { components, call, rejected, track, summary } = w;
  let p: TestPharos;
  let key = '';
  let base = '';
  let groupId = '';

  before(async () => {
    ({ p, key, base } = await w.start());
    await w.addComponents();
  });
  after(() => w.close());

  const checkGroup = (value: unknown, where: string): Json => {
    const g = obj(value, where);
    exactKeys(g, GROUP_KEYS, where);
    assert.equal(g.page_id, p.ctx.pageId);
    assert.ok(Number.isInteger(g.position), `${where}.position`);
    isoTime(g.created_at, `${where}.created_at`);
    isoTime(g.updated_at, `${where}.updated_at`);
    arr(g.components, `${where}.components`).forEach((c) => assert.equal(typeof c, 'string'));
    return g;
  };
  const groupOf = async (componentId: string) => obj((await call('get', `/components/${componentId}`)).body, 'component').group_id;
  const groupCount = () => p.ctx.db.prepare('SELECT COUNT(*) FROM component_groups').pluck().get() as number;

  describe('component groups', () => {
    it('creates a group from {"component_group": {"name", "components"}, "description"}, moving its components in', async () => {
      const api = components.API ?? '';
      const web = components['Web app'] ?? '';
      const res = await call('post', '/component-groups', { description: 'What customers use', component_group: { name: 'Frontend', components: [web, api] } });
      assert.equal(res.status, 201, res.text);
      const g = checkGroup(res.body, 'created');
      groupId = String(g.id);
      assert.equal(g.name, 'Frontend');
      assert.equal(g.description, 'What customers use');
      assert.deepEqual(g.components, [web, api], 'in the order given');
      assert.equal(await groupOf(api), groupId);
      assert.equal(await groupOf(web), groupId);
      const listed = arr((await call('get', '/components')).body, 'components').map((c) => obj(c, 'c'));
      const row = listed.find((c) => c.id === groupId);
      assert.equal(row?.group, true);
      assert.deepEqual(row?.components, [web, api]);
      assert.equal(g.position, row?.position, 'the same position as in the components list');
      const v2 = arr((await summary()).components, 'v2 components').map((c) => obj(c, 'c'));
      assert.deepEqual(v2.find((c) => c.id === groupId)?.components, [web, api], 'the public page shows the group');
    });

    it('lists the groups and reads one, also with .json', async () => {
      const list = arr((await call('get', '/component-groups')).body, 'groups');
      assert.equal(list.length, 1);
      checkGroup(list[0], 'listed');
      assert.deepEqual((await call('get', `/component-groups/${groupId}.json`)).body, list[0]);
    });

    it('edits with PATCH (only what is sent) and PUT; components left out leave the group, ungrouped', async () => {
      const api = components.API ?? '';
      const web = components['Web app'] ?? '';
      const db = components.Database ?? '';
      const renamed = checkGroup((await call('patch', `/component-groups/${groupId}`, { component_group: { name: 'Customer-facing' } })).body, 'renamed');
      assert.equal(renamed.name, 'Customer-facing');
      assert.equal(renamed.description, 'What customers use', 'kept');
      assert.deepEqual(renamed.components, [web, api], 'kept');
      const moved = checkGroup(
        (await call('put', `/component-groups/${groupId}`, { component_group: { components: [db, api] }, description: '' })).body,
        'moved',
      );
      assert.deepEqual(moved.components, [db, api]);
      assert.equal(moved.description, null, 'an empty description is null, as in the components list');
      assert.equal(await groupOf(web), null, 'web left the group');
      assert.equal(await groupOf(db), groupId);
      const audit = p.ctx.db.prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'group.updated'").pluck().get();
      assert.equal(audit, 2, 'each edit audited once');
    });

    it('takes a form-encoded group', async () => {
      const web = components['Web app'] ?? '';
      const res = track(
        'form group',
        await request(p.app)
          .post(`${base}/component-groups.json`)
          .set('Authorization', `OAuth ${key}`)
          .type('form')
          .send(`component_group[name]=Internal&component_group[components][]=${web}&description=Staff tools`),
      );
      assert.equal(res.status, 201, res.text);
      const g = checkGroup(res.body, 'form group');
      assert.deepEqual([g.name, g.description, g.components], ['Internal', 'Staff tools', [web]]);
      assert.equal((await call('delete', `/component-groups/${String(g.id)}`)).status, 200);
    });

    it('refuses bad groups with 422 naming the field, 404 for unknown ids, changing nothing', async () => {
      const before = groupCount();
      await rejected(() => call('post', '/component-groups', { component_group: { components: [] } }), 422, 'no name', 'component_group.name');
      await rejected(() => call('post', '/component-groups', { component_group: { name: ' ' } }), 422, 'blank name', 'component_group.name');
      await rejected(
        () => call('post', '/component-groups', { component_group: { name: 'X', components: ['nope'] } }),
        422,
        'unknown',
        'component_group.components',
      );
      await rejected(
        () => call('post', '/component-groups', { component_group: { name: 'X', components: 'abc' } }),
        422,
        'not a list',
        'component_group.components',
      );
      await rejected(() => call('post', '/component-groups', { component_group: { name: 'X' }, description: 7 }), 422, 'description', 'description');
      await rejected(
        () => call('post', '/component-groups', { component_group: { name: 'X', description: 'd'.repeat(501) } }),
        422,
        'long',
        'component_group.description',
      );
      await rejected(() => call('post', '/component-groups', { name: 'X' }), 422, 'no envelope', 'component_group');
      await rejected(
        () => call('patch', `/component-groups/${groupId}`, { component_group: { name: '', components: [components.Database ?? ''] } }),
        422,
        'bad edit',
        'component_group.name',
      );
      await rejected(
        () => call('patch', `/component-groups/${groupId}`, { component_group: { components: [components.API ?? '', 'gone'] } }),
        422,
        'half unknown',
      );
      await rejected(() => call('get', '/component-groups/nope'), 404, 'unknown group');
      await rejected(() => call('patch', '/component-groups/nope', { component_group: { name: 'X' } }), 404, 'unknown group PATCH');
      await rejected(() => call('delete', '/component-groups/nope'), 404, 'unknown group DELETE');
      assert.equal(groupCount(), before);
    });

    it('deletes a group, answering it; its components stay, ungrouped', async () => {
      const res = await call('delete', `/component-groups/${groupId}`);
      assert.equal(res.status, 200, res.text);
      assert.equal(checkGroup(res.body, 'deleted').id, groupId);
      assert.equal(await groupOf(components.Database ?? ''), null);
      assert.equal(arr((await call('get', '/components')).body, 'components').length, 3);
      assert.equal((await call('get', `/component-groups/${groupId}`)).status, 404);
    });
  });

  describe('the page', () => {
    const page = async (path = `/api/v1/pages/${p.ctx.pageId}`) => {
      const res = track(path, await request(p.app).get(path).set('Authorization', `OAuth ${key}`));
      assert.equal(res.status, 200, res.text);
      return res.body as unknown;
    };
    const patch = async (body: unknown, method: 'patch' | 'put' = 'patch') =>
      track(
        'PATCH page',
        await request(p.app)
          [method](`/api/v1/pages/${p.ctx.pageId}`)
          .set('Authorization', `OAuth ${key}`)
          .send(body as object),
      );

    it('lists the one page and reads it: what Pharos holds, in Statuspage field names', async () => {
      const list = arr(await page('/api/v1/pages'), 'pages');
      assert.equal(list.length, 1);
      const one = obj(await page(), 'page');
      assert.deepEqual(list[0], one);
      exactKeys(one, PAGE_KEYS, 'page');
      assert.equal(one.id, p.ctx.pageId);
      assert.equal(one.name, 'Acme Status');
      assert.equal(one.domain, new URL(p.ctx.config.publicUrl).host);
      assert.equal(one.url, null, 'no company site set');
      assert.equal(one.time_zone, p.ctx.config.timeZone);
      isoTime(one.updated_at, 'updated_at');
    });

    it('edits the name, links, accent and time zone; the public page and the v2 API follow', async () => {
      const res = await patch({
        page: {
          name: 'Acme Cloud Status',
          url: 'https://acme.example',
          support_url: 'https://help.acme.example',
          time_zone: 'Europe/Paris',
          branding: 'premium',
        },
      });
      assert.equal(res.status, 200, res.text);
      const one = obj(res.body, 'page');
      assert.equal(one.name, 'Acme Cloud Status');
      assert.equal(one.url, 'https://acme.example');
      assert.equal(one.support_url, 'https://help.acme.example');
      assert.equal(one.time_zone, 'Europe/Paris');
      const v2 = obj((await summary()).page, 'v2 page');
      assert.equal(v2.name, 'Acme Cloud Status');
      assert.equal(v2.time_zone, 'Europe/Paris');
      assert.match((await request(p.app).get('/').expect(200)).text, /Acme Cloud Status/);
      const audited = p.ctx.db.prepare("SELECT action FROM audit_log WHERE action IN ('page.branding_changed', 'page.time_zone_changed')").pluck().all();
      assert.deepEqual(audited, ['page.branding_changed', 'page.time_zone_changed']);

      const putRes = await patch({ page: { url: null, css_link_color: '#5b21b6' } }, 'put');
      assert.equal(putRes.status, 200, putRes.text);
      const put = obj(putRes.body, 'put');
      assert.equal(put.url, null, 'null clears the link');
      assert.equal(put.support_url, 'https://help.acme.example', 'what is left out stays');
      assert.equal(put.css_link_color, '#5b21b6');
      assert.equal(put.name, 'Acme Cloud Status');
    });

    it('refuses bad page fields with 422 named in Statuspage terms, changing nothing (not even the valid fields)', async () => {
      const before = JSON.stringify(await page());
      const bad: [Json, string][] = [
        [{ name: '' }, 'page.name'],
        [{ name: 'Fine', time_zone: 'Mars/Olympus' }, 'page.time_zone'],
        [{ url: 'javascript:alert(1)', time_zone: 'UTC' }, 'page.url'],
        [{ support_url: 42 }, 'page.support_url'],
        [{ css_link_color: '#ffff00' }, 'page.css_link_color'],
        [{ css_link_color: 'blue' }, 'page.css_link_color'],
      ];
      for (const [fields, field] of bad) await rejected(() => patch({ page: fields }), 422, JSON.stringify(fields), field);
      await rejected(() => patch({ name: 'No envelope' }), 422, 'no envelope', 'page');
      await rejected(
        async () => track('other page', await request(p.app).get('/api/v1/pages/notmypage').set('Authorization', `OAuth ${key}`)),
        404,
        'other page',
      );
      await rejected(async () => track('anonymous', await request(p.app).get('/api/v1/pages')), 401, 'anonymous list');
      assert.equal(JSON.stringify(await page()), before);
    });
  });
});
