import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createComponent, getComponent, updateComponent } from '../../../server/domain/page/components.js';
import { flagPersonalData, recordNotification } from '../../../server/domain/incidents/data-protection.js';
import { createIncident, deleteIncident, patchIncident } from '../../../server/domain/incidents/writes.js';
import { cancelMaintenance, patchMaintenance, runMaintenanceTransitions, scheduleMaintenance } from '../../../server/domain/incidents/maintenance.js';
import { Invalid, NotFound } from '../../../server/errors.js';
import { addUser, signIn, startPharos, type TestPharos } from '../../helpers/pharos.js';

const system = { type: 'system' } as const;

describe('maintenance and the clock at their edges', () => {
  let p: TestPharos;
  before(async () => {
    p = await startPharos();
    await addUser(p, 'admin@example.com');
  });
  after(() => p.close());

  const window = (component: string, start = '2026-11-30T11:00:00Z', end = '2026-11-30T12:00:00Z') =>
    scheduleMaintenance(p.ctx, system, { name: 'Window', scheduled_for: start, scheduled_until: end, component_ids: [component] });

  it('a window in progress cannot be deleted (its components would stay under maintenance); cancelled, it can', () => {
    const c = createComponent(p.ctx, system, { name: 'Queue' });
    const m = window(c.id, '2026-11-30T09:00:00Z', '2026-11-30T13:00:00Z');
    runMaintenanceTransitions(p.ctx, p.clock.now());
    assert.equal(getComponent(p.ctx.db, c.id).status, 'under_maintenance');
    assert.throws(() => deleteIncident(p.ctx, system, m.id), Invalid);
    cancelMaintenance(p.ctx, system, m.id);
    assert.equal(getComponent(p.ctx.db, c.id).status, 'operational');
    deleteIncident(p.ctx, system, m.id);
  });

  it('cancelling a window that never started leaves its components alone', () => {
    const c = createComponent(p.ctx, system, { name: 'Search' });
    updateComponent(p.ctx, system, c.id, { status: 'under_maintenance' });
    const m = window(c.id);
    cancelMaintenance(p.ctx, system, m.id);
    assert.equal(getComponent(p.ctx.db, c.id).status, 'under_maintenance', 'set by hand, not by this window');
  });

  it('a finished window cannot be moved or reopened', () => {
    const c = createComponent(p.ctx, system, { name: 'Billing' });
    const m = window(c.id);
    patchMaintenance(p.ctx, system, m.id, { status: 'completed' });
    assert.throws(() => patchMaintenance(p.ctx, system, m.id, { scheduled_for: '2026-12-01T11:00:00Z', scheduled_until: '2026-12-01T12:00:00Z' }), Invalid);
    assert.throws(() => patchMaintenance(p.ctx, system, m.id, { status: 'in_progress' }), Invalid);
  });

  it('an incident linked without a status change does not strand a component under maintenance', () => {
    const c = createComponent(p.ctx, system, { name: 'Storage' });
    const m = window(c.id, '2026-11-30T09:00:00Z', '2026-11-30T13:00:00Z');
    runMaintenanceTransitions(p.ctx, p.clock.now());
    const incident = createIncident(p.ctx, system, { name: 'Slow uploads', component_ids: [c.id] });
    patchMaintenance(p.ctx, system, m.id, { status: 'completed' });
    patchIncident(p.ctx, system, incident.id, { status: 'resolved' });
    assert.equal(getComponent(p.ctx.db, c.id).status, 'operational');
  });

  it('maintenance pages refuse an incident id with 404, never a 500', async () => {
    const incident = createIncident(p.ctx, system, { name: 'Not a window' });
    const admin = await signIn(p, 'admin@example.com');
    await admin.get(`/admin/maintenance/${incident.id}/reschedule`).expect(404);
    await admin.get(`/admin/maintenance/${incident.id}/cancel`).expect(404);
    await request(p.app).get(`/incidents/${incident.id}.ics`).expect(404);
    assert.throws(() => patchMaintenance(p.ctx, system, incident.id, { status: 'completed' }), NotFound);
  });

  it('the clock refuses a notification dated before awareness, and a new awareness time restarts the reminders', () => {
    const incident = createIncident(p.ctx, system, { name: 'Leak' });
    flagPersonalData(p.ctx, system, incident.id, { personal_data_at_risk: true, aware_at: '2026-11-30T08:00:00Z' });
    assert.throws(() => recordNotification(p.ctx, system, incident.id, { notified_at: '2026-11-30T07:00:00Z' }), Invalid);
    p.ctx.db.prepare("UPDATE incidents SET dp_reminders_sent = '48h' WHERE id = ?").run(incident.id);
    const moved = flagPersonalData(p.ctx, system, incident.id, { personal_data_at_risk: true, aware_at: '2026-11-30T09:00:00Z' });
    assert.equal(moved.dp_reminders_sent, '');
    const maintenance = window(createComponent(p.ctx, system, { name: 'Other' }).id);
    assert.throws(() => flagPersonalData(p.ctx, system, maintenance.id, { personal_data_at_risk: true }), Invalid);
  });
});
