import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { createComponent } from '../../server/domain/page/components.js';
import { createGroup } from '../../server/domain/page/groups.js';
import { startPharos, type TestPharos } from '../helpers/pharos.js';

/** Where an update's `# Heading` lands: under the incident's own heading on every page that shows it. */
describe('Markdown headings in the pages', () => {
  let p: TestPharos;
  let id = '';
  before(async () => {
    p = await startPharos();
    id = createIncident(
      p.ctx,
      { type: 'system' },
      { name: 'Data centre fire', body: '# Impact\nEU customers.\n\n| Region | Status |\n|---|---|\n| EU | down |' },
    ).id;
  });
  after(() => p.close());

  it('an h4 on the status page (under the incident h3), an h3 on the incident page (under "Updates")', async () => {
    const page = (await request(p.app).get('/').expect(200)).text;
    assert.match(page, /<div class="update__body"><h4>Impact<\/h4>/);
    assert.doesNotMatch(page, /<h1>Impact/);
    const incident = (await request(p.app).get(`/incidents/${id}`).expect(200)).text;
    assert.match(incident, /<div class="update__body"><h3>Impact<\/h3>/);
    assert.match(incident, /<table>[\s\S]*<td>down<\/td>/);
  });
});

describe('"Affects:" in page order', () => {
  let p: TestPharos;
  before(async () => {
    p = await startPharos();
  });
  after(() => p.close());

  it("lists the components as the page does: ungrouped ones and groups in their order, a group's own in theirs", async () => {
    const web = createComponent(p.ctx, { type: 'system' }, { name: 'Web app' }).id;
    const mobile = createComponent(p.ctx, { type: 'system' }, { name: 'Mobile app' }).id;
    const backend = createGroup(p.ctx, { type: 'system' }, { name: 'Backend' });
    const api = createComponent(p.ctx, { type: 'system' }, { name: 'API', group_id: backend.id }).id;
    createIncident(
      p.ctx,
      { type: 'system' },
      { name: 'Everything', components: { [api]: 'major_outage', [mobile]: 'partial_outage', [web]: 'partial_outage' } },
    );
    const page = (await request(p.app).get('/').expect(200)).text;
    assert.match(page, /Affects: Web app, Mobile app, API</);
  });
});
