import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createComponent } from '../../../server/domain/page/components.js';
import { addApiKey, addUser, signIn, startPharos, submit, type Agent, type TestPharos } from '../../helpers/pharos.js';

/**
 * An open incident never stands under a green banner because the operator left the impact to derive
 * and chose no component: in the admin form it is minor unless "none" is picked. The API keeps
 * Statuspage's rule (no component affected: impact none).
 */
describe('the impact of an incident that affects no component', () => {
  let p: TestPharos;
  let admin: Agent;
  let key = '';
  let api = '';

  before(async () => {
    p = await startPharos();
    await addUser(p, 'admin@example.com', 'admin');
    admin = await signIn(p, 'admin@example.com');
    key = addApiKey(p);
    api = createComponent(p.ctx, { type: 'system' }, { name: 'API' }).id;
  });
  after(() => p.close());

  const create = async (fields: Record<string, string>) => {
    const res = await submit(admin, '/admin/incidents/new', '/admin/incidents', { status: 'investigating', body: 'Looking.', ...fields });
    assert.equal(res.status, 303, res.text);
    return String(res.headers.location).split('/').pop() ?? '';
  };
  const summary = async () =>
    (await request(p.app).get('/api/v2/summary.json').expect(200)).body as {
      status: { indicator: string; description: string };
      incidents: { id: string; impact: string }[];
    };

  it('admin form, impact left to derive, no component: minor, and the banner is not "All Systems Operational"', async () => {
    const id = await create({ name: 'Reports of login failures' });
    const s = await summary();
    assert.equal(s.incidents.find((i) => i.id === id)?.impact, 'minor');
    assert.equal(s.status.indicator, 'minor');
    const page = (await request(p.app).get('/').expect(200)).text;
    assert.doesNotMatch(page, /All Systems Operational/);
    assert.match(page, /Reports of login failures/);
  });

  it('the floor gives way to what the components say, and "none" picked explicitly is none', async () => {
    const id = await create({ name: 'API down', [`components.${api}`]: 'major_outage' });
    assert.equal((await summary()).incidents.find((i) => i.id === id)?.impact, 'critical');
    const quiet = await create({ name: 'A note, no impact', impact_override: 'none' });
    assert.equal((await summary()).incidents.find((i) => i.id === quiet)?.impact, 'none');
  });

  it("the API keeps Statuspage's rule: no component, impact none", async () => {
    const res = await request(p.app)
      .post(`/api/v1/pages/${p.ctx.pageId}/incidents`)
      .set('Authorization', `OAuth ${key}`)
      .send({ incident: { name: 'From automation', status: 'investigating' } })
      .expect(201);
    assert.equal((res.body as { impact: string }).impact, 'none');
  });
});
