import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createComponent } from '../../../server/domain/page/components.js';
import { cancelMaintenance, scheduleMaintenance } from '../../../server/domain/incidents/maintenance.js';
import { postUpdate } from '../../../server/domain/incidents/updates.js';
import { createIncident } from '../../../server/domain/incidents/writes.js';
import { addUser, FakeClock, signIn, startPharos, type Agent, type TestPharos } from '../../helpers/pharos.js';

const system = { type: 'system' } as const;

/**
 * Admin → Maintenance: every window, upcoming (soonest first), in progress, completed (latest first,
 * a page at a time, cancelled ones said so), linked from the navigation and the dashboard; and
 * Admin → All incidents, searchable. They are what /admin/maintenance and /admin/incidents, the
 * targets of the two create forms, answer on a GET.
 */
describe('the maintenance and incident lists in the admin', () => {
  let p: TestPharos;
  let ops: Agent;
  const ids: Record<string, string> = {};

  before(async () => {
    // The completed windows are scheduled in September (a window that has ended cannot be), then time moves on.
    p = await startPharos({ clock: new FakeClock('2026-09-30T10:00:00.000Z') });
    await addUser(p, 'ops@example.com', 'operator');
    const api = createComponent(p.ctx, system, { name: 'API' }).id;
    const db = createComponent(p.ctx, system, { name: 'Database' }).id;
    const window = (name: string, from: string, until: string, more: Record<string, unknown> = {}) =>
      scheduleMaintenance(p.ctx, system, { name, scheduled_for: from, scheduled_until: until, component_ids: [api], ...more }).id;
    // Enough completed windows for two pages (25 a page), the latest scheduled first.
    for (let day = 1; day <= 26; day++) {
      const at = `2026-10-${String(day).padStart(2, '0')}T02:00:00Z`;
      const id = window(`Old window ${day}`, at, at.replace('T02', 'T03'));
      postUpdate(p.ctx, system, id, { status: 'completed', body: 'Done.' });
    }
    p.clock.set('2026-11-30T10:00:00.000Z');
    ops = await signIn(p, 'ops@example.com');
    ids.later = window('Network upgrade', '2026-12-20T02:00:00Z', '2026-12-20T04:00:00Z', { scheduled_auto_in_progress: false });
    ids.sooner = window('Database failover drill', '2026-12-10T02:00:00Z', '2026-12-10T03:00:00Z', { component_ids: [api, db] });
    // Begun already: it starts in progress.
    ids.running = window('Cache rebuild', '2026-11-30T09:00:00Z', '2026-11-30T12:00:00Z');
    ids.cancelled = window('Kernel patching', '2026-12-05T02:00:00Z', '2026-12-05T03:00:00Z');
    cancelMaintenance(p.ctx, system, ids.cancelled);
    createIncident(p.ctx, system, { name: 'Elevated error rates', body: 'Looking into the API gateway.' });
    p.clock.advance(60_000);
    createIncident(p.ctx, system, { name: 'Login failures', status: 'resolved', body: 'Fixed.' });
  });
  after(() => p.close());

  /** The rows of the table under a heading of the page. */
  const section = (html: string, id: string) => /<table[\s\S]*?<\/table>|<p class="muted">[^<]*<\/p>/.exec(html.split(`<h2 id="${id}">`)[1] ?? '')?.[0] ?? '';

  it('lists upcoming windows soonest first, those in progress, and the completed latest first, cancelled ones said so', async () => {
    const html = (await ops.get('/admin/maintenance').expect(200)).text;
    assert.match(html, /<h1>Maintenance<\/h1>/);
    assert.match(html, /<a class="button" href="\/admin\/maintenance\/new">Schedule maintenance<\/a>/);
    const upcoming = section(html, 'upcoming');
    assert.ok(upcoming.indexOf('Database failover drill') < upcoming.indexOf('Network upgrade') && upcoming.includes('Database failover drill'), upcoming);
    assert.match(upcoming, /API, Database/);
    assert.match(upcoming, /\(started by hand\)/, 'a window that does not start by itself says so');
    assert.match(upcoming, new RegExp(`href="/admin/maintenance/${ids.later}/reschedule">Move<span class="visually-hidden"> Network upgrade</span>`));
    assert.match(upcoming, new RegExp(`href="/admin/maintenance/${ids.later}/cancel">Cancel`));
    const running = section(html, 'in-progress');
    assert.match(running, /Cache rebuild[\s\S]*In progress/);
    assert.doesNotMatch(running, /Network upgrade|Old window/);
    const completed = section(html, 'completed');
    assert.match(completed, /Kernel patching[\s\S]*?Cancelled/);
    assert.ok(completed.indexOf('Kernel patching') < completed.indexOf('Old window 26'), 'latest scheduled first');
    assert.doesNotMatch(completed, /Old window 1\b/, 'the oldest is on the next page');
    assert.doesNotMatch(completed, /\/reschedule/, 'nothing left to move');
    assert.match(html, /<a href="\/admin\/maintenance\?page=2#completed">Older →<\/a>/);

    const older = (await ops.get('/admin/maintenance?page=2').expect(200)).text;
    assert.match(section(older, 'completed'), /Old window 1\b/);
    assert.match(older, /<a href="\/admin\/maintenance\?page=1#completed">← Newer<\/a>/);
  });

  it('is linked from the navigation (current there) and the dashboard', async () => {
    const list = (await ops.get('/admin/maintenance').expect(200)).text;
    assert.match(list, /<a href="\/admin\/maintenance" aria-current="page">Maintenance<\/a>/);
    const dash = (await ops.get('/admin').expect(200)).text;
    assert.match(dash, /<a href="\/admin\/maintenance">All maintenance<\/a>/);
    assert.match(dash, /<a href="\/admin\/incidents">All incidents<\/a>/);
  });

  it('lists every incident, newest first, not the windows; searched by name or update text', async () => {
    const html = (await ops.get('/admin/incidents').expect(200)).text;
    assert.match(html, /<h1>All incidents<\/h1>/);
    assert.ok(html.indexOf('Login failures') < html.indexOf('Elevated error rates'), 'newest first');
    assert.doesNotMatch(html, /Network upgrade|Old window/);
    const byText = (await ops.get('/admin/incidents?q=gateway').expect(200)).text;
    assert.match(byText, /Elevated error rates/);
    assert.doesNotMatch(byText, /Login failures/);
    const none = (await ops.get('/admin/incidents?q=%3Cb%3E').expect(200)).text;
    assert.match(none, /No incident matches “&lt;b&gt;”\./);
  });
});
