import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Statuspage } from 'statuspage.io';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { scheduleMaintenance } from '../../server/domain/incidents/maintenance.js';
import { startPharos, systemClockPharos, type TestPharos } from '../helpers/pharos.js';

const system = { type: 'system' } as const;

/** The `statuspage.io` npm client (its public v2 reads), pointed at Pharos by one base URL. */
describe('the statuspage.io npm client against Pharos', () => {
  let p: TestPharos;
  let client: Statuspage;
  let incident: string;
  let window: string;
  before(async () => {
    p = await startPharos({ listen: true, ...systemClockPharos() });
    const api = createComponent(p.ctx, system, { name: 'API' }).id;
    incident = createIncident(p.ctx, system, { name: 'Login failures', components: { [api]: 'major_outage' } }).id;
    window = scheduleMaintenance(p.ctx, system, {
      name: 'Database upgrade',
      component_ids: [api],
      scheduled_for: new Date(Date.now() + 86_400_000).toISOString(),
      scheduled_until: new Date(Date.now() + 90_000_000).toISOString(),
    }).id;
    client = new Statuspage(p.ctx.pageId);
    client.setApiUrl(p.url);
  });
  after(() => p.close());

  it('reads the summary, the status and the components', async () => {
    const summary = await client.api.getSummary();
    assert.equal(summary.page.id, p.ctx.pageId);
    assert.equal(summary.status.indicator, 'critical');
    assert.deepEqual(
      summary.components.map((c) => [c.name, c.status]),
      [['API', 'major_outage']],
    );
    assert.equal((await client.api.getStatus()).status.description, 'Major Service Outage');
    assert.equal((await client.api.getComponents()).components[0]?.name, 'API');
  });

  it('reads the incidents and the scheduled maintenance', async () => {
    assert.ok((await client.api.incidents.getAll()).incidents.some((i) => i.id === incident));
    assert.deepEqual(
      (await client.api.incidents.getUnresolved()).incidents.map((i) => i.id),
      [incident],
    );
    assert.ok((await client.api.scheduledMaintenances.getAll()).scheduled_maintenances.some((m) => m.id === window));
    assert.deepEqual(
      (await client.api.scheduledMaintenances.getUpcoming()).scheduled_maintenances.map((m) => m.id),
      [window],
    );
    // statuspage.io 3.3.8's getActive() asks for upcoming.json (its ACTIVE_JSON constant): it gets the upcoming list.
    assert.deepEqual(
      (await client.api.scheduledMaintenances.getActive()).scheduled_maintenances.map((m) => m.id),
      [window],
    );
  });
});
