import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createComponent, getComponent } from '../../../../server/domain/page/components.js';
import { createIncident, patchIncident } from '../../../../server/domain/incidents/writes.js';
import { getIncident } from '../../../../server/domain/incidents/queries.js';
import { impactFromComponentStatuses, pageIndicator } from '../../../../server/domain/page/status.js';
import { startPharos, type TestPharos } from '../../../helpers/pharos.js';

const system = { type: 'system' } as const;

describe('status derivation', () => {
  it('derives the page indicator as Statuspage does', () => {
    assert.equal(pageIndicator(['operational'], []), 'none');
    assert.equal(pageIndicator(['operational', 'degraded_performance'], []), 'minor');
    assert.equal(pageIndicator(['partial_outage', 'degraded_performance'], []), 'major');
    assert.equal(pageIndicator(['major_outage'], ['minor']), 'critical');
    assert.equal(pageIndicator(['under_maintenance'], []), 'maintenance');
    assert.equal(pageIndicator(['under_maintenance'], ['minor']), 'minor', 'an incident outranks maintenance');
    assert.equal(pageIndicator(['operational'], ['critical']), 'critical');
  });

  it('derives an incident impact from component statuses', () => {
    assert.equal(impactFromComponentStatuses([]), 'none');
    assert.equal(impactFromComponentStatuses(['degraded_performance']), 'minor');
    assert.equal(impactFromComponentStatuses(['partial_outage', 'degraded_performance']), 'major');
    assert.equal(impactFromComponentStatuses(['major_outage']), 'critical');
    assert.equal(impactFromComponentStatuses(['under_maintenance']), 'none');
  });
});

describe('incident lifecycle', () => {
  let p: TestPharos;
  before(async () => {
    p = await startPharos();
  });
  after(() => p.close());

  it('keeps the worst impact it reached after resolving, unless overridden', () => {
    const api = createComponent(p.ctx, system, { name: 'API' });
    const i = createIncident(p.ctx, system, { name: 'Outage', components: { [api.id]: 'major_outage' } });
    assert.equal(i.impact, 'critical');
    const resolved = patchIncident(p.ctx, system, i.id, { status: 'resolved' });
    assert.equal(resolved.impact, 'critical');
    assert.equal(getComponent(p.ctx.db, api.id).status, 'operational');
    assert.equal(resolved.incident_updates[0]?.body, 'This incident has been resolved.', 'the standard text when no message is given');
    assert.equal(patchIncident(p.ctx, system, i.id, { impact_override: 'minor' }).impact, 'minor');
    assert.equal(patchIncident(p.ctx, system, i.id, { impact_override: null }).impact, 'critical');
  });

  it('records monitoring and resolution times once, and clears the resolution on reopening', () => {
    const i = createIncident(p.ctx, system, { name: 'Slow' });
    p.clock.advance(60_000);
    const monitoring = patchIncident(p.ctx, system, i.id, { status: 'monitoring' });
    const monitoringAt = monitoring.monitoring_at;
    assert.equal(monitoringAt, p.clock.now().toISOString());
    p.clock.advance(60_000);
    const resolved = patchIncident(p.ctx, system, i.id, { status: 'resolved' });
    assert.equal(resolved.resolved_at, p.clock.now().toISOString());
    assert.equal(resolved.monitoring_at, monitoringAt);
    const reopened = patchIncident(p.ctx, system, i.id, { status: 'investigating', body: 'It is back.' });
    assert.equal(reopened.resolved_at, null);
  });

  it('does not clear a component that another open incident still holds, and honours an explicit status on resolve', () => {
    const web = createComponent(p.ctx, system, { name: 'Web' });
    const db = createComponent(p.ctx, system, { name: 'DB' });
    const first = createIncident(p.ctx, system, { name: 'Web down', components: { [web.id]: 'major_outage', [db.id]: 'partial_outage' } });
    createIncident(p.ctx, system, { name: 'Web still down', components: { [web.id]: 'major_outage' } });
    patchIncident(p.ctx, system, first.id, { status: 'resolved', components: { [db.id]: 'degraded_performance' } });
    assert.equal(getComponent(p.ctx.db, web.id).status, 'major_outage', 'held by the other incident');
    assert.equal(getComponent(p.ctx.db, db.id).status, 'degraded_performance', 'the operator said otherwise');
    const changes = getIncident(p.ctx.db, first.id).incident_updates[0]?.affected_components;
    assert.deepEqual(changes, [{ code: db.id, name: 'DB', old_status: 'partial_outage', new_status: 'degraded_performance' }]);
  });
});
