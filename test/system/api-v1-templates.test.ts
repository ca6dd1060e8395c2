import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createComponent } from '../../server/domain/page/components.js';
import { createGroup } from '../../server/domain/page/groups.js';
import { listTemplates } from '../../server/domain/incidents/templates.js';
import { addApiKey, addUser, signIn, startPharos, type TestPharos } from '../helpers/pharos.js';
import { COMPONENT_KEYS, exactKeys, obj, type Json } from '../helpers/statuspage.js';

/**
 * The management API's incident templates, in Statuspage's v1 shape: GET and POST
 * /api/v1/pages/:page_id/incident_templates, the same table as Admin → Templates and the new-incident
 * picker. Needs server/http/api/templates.ts mounted on the v1 page router.
 */

const system = { type: 'system' } as const;
const TEMPLATE_KEYS = [
  'id',
  'components',
  'name',
  'title',
  'body',
  'group_id',
  'update_status',
  'should_tweet',
  'should_send_notifications',
  'created_at',
  'updated_at',
];

describe('management API v1: incident templates', () => {
  let p: TestPharos;
  let key: string;
  let api: string;
  let search: string;
  let group: string;
  const base = () => `/api/v1/pages/${p.ctx.pageId}/incident_templates`;
  const get = (path = base()) => request(p.app).get(path).set('Authorization', `OAuth ${key}`);
  const post = (body: unknown) =>
    request(p.app)
      .post(base())
      .set('Authorization', `OAuth ${key}`)
      .send(body as object);
  const shape = (value: unknown, where: string): Json => {
    const t = obj(value, where);
    exactKeys(t, TEMPLATE_KEYS, where);
    assert.equal(t.should_tweet, false, `${where}: Pharos does not tweet`);
    for (const c of t.components as unknown[]) exactKeys(obj(c, `${where}.components[]`), COMPONENT_KEYS, `${where}.components[]`);
    return t;
  };

  before(async () => {
    p = await startPharos();
    key = addApiKey(p, 'automation');
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    group = createGroup(p.ctx, system, { name: 'Data' }).id;
    search = createComponent(p.ctx, system, { name: 'Search', group_id: group }).id;
  });
  after(() => p.close());

  it('lists the templates, the built-in ones first, in Statuspage’s shape', async () => {
    const res = await get().expect(200);
    const list = (res.body as unknown[]).map((t, n) => shape(t, `templates[${n}]`));
    assert.deepEqual(
      list.map((t) => t.name),
      ['Investigating an attack', 'API outage', 'Degraded performance', 'Resolved'],
    );
    assert.deepEqual(list[3], {
      id: list[3]?.id,
      components: [],
      name: 'Resolved',
      title: '',
      body: 'This incident has been resolved. Thank you for your patience.',
      group_id: null,
      update_status: 'resolved',
      should_tweet: false,
      should_send_notifications: true,
      created_at: list[3]?.created_at,
      updated_at: list[3]?.updated_at,
    });
    const paged = await get(`${base()}?per_page=2&page=2`).expect(200);
    assert.deepEqual(
      (paged.body as Json[]).map((t) => t.name),
      ['Degraded performance', 'Resolved'],
    );
  });

  it('creates a template from {"template": {...}}, audited in the key’s name, and the new-incident picker offers it', async () => {
    const res = await post({
      template: {
        name: 'Search down',
        title: 'Search is unavailable',
        body: 'Searches fail.',
        group_id: group,
        update_status: 'identified',
        should_tweet: true,
        should_send_notifications: false,
        component_ids: [search, api],
      },
    });
    assert.equal(res.status, 201, res.text);
    const t = shape(res.body, 'created');
    assert.deepEqual(
      [t.name, t.title, t.body, t.group_id, t.update_status, t.should_send_notifications],
      ['Search down', 'Search is unavailable', 'Searches fail.', group, 'identified', false],
    );
    assert.deepEqual(
      (t.components as Json[]).map((c) => [c.id, c.name, c.group_id]),
      [
        [api, 'API', null],
        [search, 'Search', group],
      ],
      'the components in page order, in v1 shape',
    );
    const audit = p.ctx.db.prepare("SELECT actor, subject FROM audit_log WHERE action = 'template.created'").get() as { actor: string; subject: string };
    assert.deepEqual(audit, { actor: 'api_key:automation', subject: t.id });
    const listed = (await get().expect(200)).body as Json[];
    assert.deepEqual(listed.at(-1), t);

    await addUser(p, 'operator@example.com', 'operator');
    const operator = await signIn(p, 'operator@example.com');
    const form = await operator.get('/admin/incidents/new').expect(200);
    assert.match(form.text, new RegExp(`<optgroup label="Data">\\s*<option value="${String(t.id)}"`));
  });

  it('defaults what is left out: an investigating template that notifies, without title, body, group or components', async () => {
    const res = await post({ template: { name: 'Bare' } });
    assert.equal(res.status, 201, res.text);
    const t = shape(res.body, 'bare');
    assert.deepEqual([t.title, t.body, t.group_id, t.update_status, t.should_send_notifications, t.components], ['', '', null, 'investigating', true, []]);
  });

  it('refuses bad input with 422 naming the fields inside the envelope, creating nothing', async () => {
    const count = listTemplates(p.ctx.db).length;
    const cases: [unknown, string[]][] = [
      [{}, ['template']],
      [{ template: 'Search down' }, ['template']],
      [{ template: { title: 'No name' } }, ['template.name']],
      [{ template: { name: 'x', update_status: 'on_fire' } }, ['template.update_status']],
      [{ template: { name: 'x', component_ids: 'abc' } }, ['template.component_ids']],
      [{ template: { name: 'x', component_ids: ['nosuchcomponent'] } }, ['template.component_ids']],
      [{ template: { name: 'x', group_id: 'nosuchgroup' } }, ['template.group_id']],
      [{ template: { name: 'x', should_send_notifications: 'yes' } }, ['template.should_send_notifications']],
      [{ template: { name: 'x', title: 'two\nlines' } }, ['template.title']],
    ];
    for (const [body, fields] of cases) {
      const res = await post(body);
      assert.equal(res.status, 422, JSON.stringify(body));
      const error = (res.body as { error: { code: string; fields: Record<string, string> } }).error;
      assert.equal(error.code, 'invalid');
      assert.deepEqual(Object.keys(error.fields), fields, JSON.stringify(body));
    }
    assert.equal(listTemplates(p.ctx.db).length, count);
  });

  it('refuses a client without a valid key', async () => {
    await request(p.app).get(base()).expect(401);
    await request(p.app)
      .post(base())
      .send({ template: { name: 'Injected' } })
      .expect(401);
    await request(p.app).get(base()).set('Authorization', 'OAuth pharos_not-a-key').expect(401);
    assert.equal(
      listTemplates(p.ctx.db).some((t) => t.name === 'Injected'),
      false,
    );
  });
});
