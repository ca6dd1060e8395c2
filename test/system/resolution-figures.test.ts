import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createIncident, patchIncident } from '../../server/domain/incidents/writes.js';
import { runMaintenanceTransitions, scheduleMaintenance } from '../../server/domain/incidents/maintenance.js';
import { addUser, signIn, startPharos, submit, type TestPharos } from '../helpers/pharos.js';

const system = { type: 'system' } as const;

/** The figures (dt → dd) of the first <dl class="figures"> after `marker` in a page. */
function figuresAfter(html: string, marker: string): Record<string, string> {
  const at = html.indexOf(marker);
  assert.ok(at >= 0, `${marker} is on the page`);
  const dl = /<dl class="figures">([\s\S]*?)<\/dl>/.exec(html.slice(at));
  assert.ok(dl, `figures after ${marker}`);
  return Object.fromEntries([...(dl[1] ?? '').matchAll(/<dt>([^<]*)<\/dt><dd>([^<]*)<\/dd>/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
}

/** An incident that started at `start` (backfilled when `created` is later) and was resolved at `resolved`. */
function incident(p: TestPharos, name: string, start: string, resolved?: string, created = start) {
  p.clock.set(created);
  const i = createIncident(p.ctx, system, { name, ...(created !== start ? { started_at: start } : {}) });
  if (resolved) {
    p.clock.set(resolved);
    patchIncident(p.ctx, system, i.id, { status: 'resolved' });
  }
  return i;
}

describe('resolution figures on the history page and the dashboard', () => {
  let p: TestPharos;

  before(async () => {
    p = await startPharos();
    await addUser(p, 'admin@example.com', 'admin');
    incident(p, 'July outage', '2026-07-15T08:00:00.000Z', '2026-07-15T09:00:00.000Z');
    incident(p, 'October outage', '2026-10-20T08:00:00.000Z', '2026-10-20T12:00:00.000Z');
    incident(p, 'One hour', '2026-11-10T08:00:00.000Z', '2026-11-10T09:00:00.000Z');
    incident(p, 'Two hours', '2026-11-12T08:00:00.000Z', '2026-11-12T10:00:00.000Z');
    incident(p, 'Six hours', '2026-11-14T08:00:00.000Z', '2026-11-14T14:00:00.000Z');
    // Backfilled: reported at 09:00 as having started at 08:20, resolved at 11:20 (3 h after its start).
    incident(p, 'Backfilled', '2026-11-16T08:20:00.000Z', '2026-11-16T11:20:00.000Z', '2026-11-16T09:00:00.000Z');
    // Still open, first update 20 minutes after its start.
    incident(p, 'Still open', '2026-11-20T08:00:00.000Z', undefined, '2026-11-20T08:20:00.000Z');
    // Maintenance is not an incident: it does not count.
    p.clock.set('2026-11-21T12:00:00.000Z');
    scheduleMaintenance(p.ctx, system, {
      name: 'November maintenance',
      scheduled_for: '2026-11-22T02:00:00Z',
      scheduled_until: '2026-11-22T08:00:00Z',
      scheduled_remind_prior: 0,
    });
    p.clock.set('2026-11-22T02:00:00.000Z');
    runMaintenanceTransitions(p.ctx, p.clock.now());
    p.clock.set('2026-11-22T08:00:00.000Z');
    runMaintenanceTransitions(p.ctx, p.clock.now());
    p.clock.set('2026-11-30T10:00:00.000Z');
  });
  after(async () => {
    await p.close();
  });

  it('publishes no resolution figures on the history page until an admin turns them on in Settings', async () => {
    const page = await request(p.app).get('/history').expect(200);
    assert.doesNotMatch(page.text, /class="figures"|time to resolve/);
    assert.match(page.text, /One hour<\/a>[\s\S]*?Resolved after 1 h</, 'the incidents and their durations stay');
    const admin = await signIn(p, 'admin@example.com');
    const settings = await admin.get('/admin/settings').expect(200);
    assert.doesNotMatch(settings.text, /name="show_resolution_figures" checked/);
    await submit(admin, '/admin/settings', '/admin/settings/display', { show_resolution_figures: 'on' }).then((r) => assert.equal(r.status, 303));
    assert.match((await admin.get('/admin/settings').expect(200)).text, /name="show_resolution_figures" checked/);
  });

  it("shows each month's incidents with their durations and the month's figures", async () => {
    const page = await request(p.app).get('/history').expect(200);
    // November: 5 incidents; resolved after 1 h, 2 h, 6 h and 3 h → mean 3 h, median (2 h + 3 h) / 2 = 2 h 30 min;
    // first updates after 0, 0, 0, 40 and 20 min → mean 12 min.
    assert.deepEqual(figuresAfter(page.text, '<h2>November 2026</h2>'), {
      Incidents: '5',
      'Mean time to resolve': '3 h',
      'Median time to resolve': '2 h 30 min',
      'Mean time to first update': '12 min',
    });
    const november = page.text.slice(page.text.indexOf('<h2>November 2026</h2>'), page.text.indexOf('<h2>October 2026</h2>'));
    assert.match(november, /One hour<\/a>[\s\S]*?Resolved after 1 h</);
    assert.match(november, /Two hours<\/a>[\s\S]*?Resolved after 2 h</);
    assert.match(november, /Six hours<\/a>[\s\S]*?Resolved after 6 h</);
    assert.match(november, /Backfilled<\/a>[\s\S]*?Resolved after 3 h</);
    assert.doesNotMatch(november, /Still open<\/a>[^\n]*Resolved after/);
    assert.doesNotMatch(november, /November maintenance/);
    // October: one incident, 4 h, its first update at its start.
    assert.deepEqual(figuresAfter(page.text, '<h2>October 2026</h2>'), {
      Incidents: '1',
      'Mean time to resolve': '4 h',
      'Median time to resolve': '4 h',
      'Mean time to first update': 'under a minute',
    });
    const september = page.text.slice(page.text.indexOf('<h2>September 2026</h2>'));
    assert.match(september.slice(0, september.indexOf('</section>')), /No incidents reported/);
  });

  it('shows the figures for the last 30 and 90 days on the admin dashboard', async () => {
    const admin = await signIn(p, 'admin@example.com');
    const page = await admin.get('/admin').expect(200);
    // Since 31 October 10:00: the five November incidents.
    assert.deepEqual(figuresAfter(page.text, '<h3>Last 30 days</h3>'), {
      Incidents: '5',
      'Mean time to resolve': '3 h',
      'Median time to resolve': '2 h 30 min',
      'Mean time to first update': '12 min',
    });
    // Since 1 September 10:00: October's too (not July's). Resolved after 4, 1, 2, 6 and 3 h → mean 3 h 12 min,
    // median 3 h; first updates after 0, 0, 0, 0, 40 and 20 min → mean 10 min.
    assert.deepEqual(figuresAfter(page.text, '<h3>Last 90 days</h3>'), {
      Incidents: '6',
      'Mean time to resolve': '3 h 12 min',
      'Median time to resolve': '3 h',
      'Mean time to first update': '10 min',
    });
  });

  it('hides them again when turned off, on the page served from the snapshot too', async () => {
    const admin = await signIn(p, 'admin@example.com');
    await submit(admin, '/admin/settings', '/admin/settings/display', {}).then((r) => assert.equal(r.status, 303));
    for (const path of ['/history', '/history?page=1']) assert.doesNotMatch((await request(p.app).get(path).expect(200)).text, /time to resolve/, path);
    assert.match((await admin.get('/admin').expect(200)).text, /Mean time to resolve/, 'the dashboard keeps them');
  });
});
