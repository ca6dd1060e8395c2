import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import ICAL from 'ical.js';
import request from 'supertest';
import type { Actor } from '../../../server/domain/access/actors.js';
import { createComponent } from '../../../server/domain/page/components.js';
import { createIncident } from '../../../server/domain/incidents/writes.js';
import { cancelMaintenance, patchMaintenance, scheduleMaintenance } from '../../../server/domain/incidents/maintenance.js';
import { maintenanceJob } from '../../../server/jobs/maintenance.js';
import { runJob } from '../../../server/jobs/schedule.js';
import { addApiKey, startPharos, type TestPharos } from '../../helpers/pharos.js';
import { IMPACTS, INCIDENT_KEYS, type Json } from '../../helpers/statuspage.js';

/** Scheduled maintenance as the public sees it (v2 API, status page, iCalendar) and as automation drives it (v1). */

const system: Actor = { type: 'system' };
const MAINTENANCE_STATUSES = ['scheduled', 'in_progress', 'verifying', 'completed'];
const WINDOW_KEYS = ['scheduled_for', 'scheduled_until', 'scheduled_remind_prior', 'scheduled_auto_in_progress', 'scheduled_auto_completed'];

function obj(value: unknown, where: string): Json {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${where} is an object`);
  return value as Json;
}

function arr(value: unknown, where: string): unknown[] {
  assert.ok(Array.isArray(value), `${where} is an array`);
  return value;
}

async function getJson(p: TestPharos, path: string): Promise<Json> {
  const res = await request(p.app).get(path).expect(200);
  assert.match(String(res.headers['content-type']), /^application\/json/, `${path} is JSON`);
  return obj(JSON.parse(res.text) as unknown, path);
}

/** The scheduled maintenances a v2 endpoint lists. */
async function windows(p: TestPharos, path: string): Promise<Json[]> {
  const body = await getJson(p, path);
  return arr(body.scheduled_maintenances, `${path} scheduled_maintenances`).map((m, i) => obj(m, `${path}[${i}]`));
}

async function incidentIds(p: TestPharos, path: string): Promise<string[]> {
  const body = await getJson(p, path);
  return arr(body.incidents, `${path} incidents`).map((i) => String(obj(i, 'incident').id));
}

/** A v2 scheduled maintenance: Statuspage's incident fields, the window and its options, impact "maintenance". */
function checkWindow(
  m: Json,
  expected: { id: string; status: string; from: string; until: string; remind: boolean; autoStart: boolean; autoComplete: boolean; components: string[] },
  where: string,
): void {
  for (const key of [...INCIDENT_KEYS, ...WINDOW_KEYS]) assert.ok(key in m, `${where} has ${key}`);
  assert.equal(m.id, expected.id);
  assert.ok(MAINTENANCE_STATUSES.includes(String(m.status)), `${where}.status is one of ${MAINTENANCE_STATUSES.join('|')}, got ${String(m.status)}`);
  assert.equal(m.status, expected.status, `${where}.status`);
  assert.equal(m.impact, 'maintenance', `${where}.impact`);
  assert.ok(IMPACTS.includes(String(m.impact)));
  assert.equal(Date.parse(String(m.scheduled_for)), Date.parse(expected.from), `${where}.scheduled_for`);
  assert.equal(Date.parse(String(m.scheduled_until)), Date.parse(expected.until), `${where}.scheduled_until`);
  assert.equal(m.scheduled_remind_prior, expected.remind, `${where}.scheduled_remind_prior`);
  assert.equal(m.scheduled_auto_in_progress, expected.autoStart, `${where}.scheduled_auto_in_progress`);
  assert.equal(m.scheduled_auto_completed, expected.autoComplete, `${where}.scheduled_auto_completed`);
  const components = arr(m.components, `${where}.components`).map((c) => String(obj(c, 'component').id));
  assert.deepEqual(components.sort(), [...expected.components].sort(), `${where}.components`);
  const updates = arr(m.incident_updates, `${where}.incident_updates`);
  assert.ok(updates.length > 0, `${where} has its updates`);
  assert.equal(obj(updates[0], 'update').status, expected.status, `${where}: the newest update has the window's status`);
}

describe('scheduled maintenance in the v2 API and on the status page', () => {
  let p: TestPharos;
  let api = '';
  let web = '';
  let key = '';
  let id = '';
  let incidentId = '';
  const expected = () => ({
    id,
    from: '2026-12-01T02:00:00Z',
    until: '2026-12-01T04:00:00Z',
    remind: true,
    autoStart: true,
    autoComplete: true,
    components: [api, web],
  });

  before(async () => {
    p = await startPharos({ env: { PUBLIC_URL: 'http://status.acme.test', TIME_ZONE: 'Europe/Paris' } });
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    web = createComponent(p.ctx, system, { name: 'Web app' }).id;
    createComponent(p.ctx, system, { name: 'Billing' });
    key = addApiKey(p);
    // A real incident alongside, so that "not in incidents.json" means something.
    incidentId = createIncident(p.ctx, system, { name: 'Billing slow', status: 'identified' }).id;
    id = scheduleMaintenance(p.ctx, system, {
      name: 'Database upgrade',
      body: 'The primary database moves to a new version.',
      scheduled_for: '2026-12-01T02:00:00Z',
      scheduled_until: '2026-12-01T04:00:00Z',
      scheduled_remind_prior: 60,
      component_ids: [api, web],
    }).id;
  });
  after(() => p.close());

  const v1Patch = (incident: Record<string, unknown>) =>
    request(p.app).patch(`/api/v1/pages/${p.ctx.pageId}/incidents/${id}`).set('Authorization', `OAuth ${key}`).send({ incident });

  async function neverAnIncident(where: string): Promise<void> {
    const all = await incidentIds(p, '/api/v2/incidents.json');
    assert.ok(all.includes(incidentId), 'the real incident is listed');
    assert.ok(!all.includes(id), `${where}: maintenance is not in incidents.json`);
    const unresolved = await incidentIds(p, '/api/v2/incidents/unresolved.json');
    assert.ok(!unresolved.includes(id), `${where}: maintenance is not in incidents/unresolved.json`);
    const summary = await getJson(p, '/api/v2/summary.json');
    assert.ok(!arr(summary.incidents, 'summary.incidents').some((i) => obj(i, 'incident').id === id), `${where}: not in summary.incidents`);
  }

  it('before its start: listed as upcoming with its window and options, shown as "Scheduled maintenance"', async () => {
    const all = await windows(p, '/api/v2/scheduled-maintenances.json');
    const m = all.find((w) => w.id === id);
    assert.ok(m, 'in scheduled-maintenances.json');
    checkWindow(m, { ...expected(), status: 'scheduled' }, 'scheduled-maintenances.json');

    const upcoming = await windows(p, '/api/v2/scheduled-maintenances/upcoming.json');
    assert.deepEqual(
      upcoming.map((w) => w.id),
      [id],
    );
    checkWindow(upcoming[0] as Json, { ...expected(), status: 'scheduled' }, 'upcoming.json');
    assert.deepEqual(await windows(p, '/api/v2/scheduled-maintenances/active.json'), []);

    const summary = await windows(p, '/api/v2/summary.json');
    assert.deepEqual(
      summary.map((w) => w.id),
      [id],
    );
    checkWindow(summary[0] as Json, { ...expected(), status: 'scheduled' }, 'summary.json');
    await neverAnIncident('scheduled');

    const page = await request(p.app).get('/').expect(200);
    assert.match(page.text, /Scheduled maintenance/);
    assert.match(page.text, /Database upgrade/);
    assert.match(page.text, /1 Dec 2026, 03:00 UTC\+1/, 'the start in the page zone, with its offset');
    assert.match(page.text, new RegExp(`href="/incidents/${id}\\.ics"`), 'a calendar download');
    assert.doesNotMatch(page.text, /Maintenance in progress/);
  });

  it('at its start: active, components under maintenance, a "Maintenance in progress" banner', async () => {
    p.clock.set('2026-12-01T02:00:00.000Z');
    const run = await runJob(p.ctx, maintenanceJob);
    assert.equal(run?.result, 'ok', run?.error ?? '');

    const active = await windows(p, '/api/v2/scheduled-maintenances/active.json');
    assert.deepEqual(
      active.map((w) => w.id),
      [id],
    );
    checkWindow(active[0] as Json, { ...expected(), status: 'in_progress' }, 'active.json');
    assert.deepEqual(await windows(p, '/api/v2/scheduled-maintenances/upcoming.json'), []);
    const summaryWindows = await windows(p, '/api/v2/summary.json');
    assert.deepEqual(
      summaryWindows.map((w) => w.id),
      [id],
    );
    checkWindow(summaryWindows[0] as Json, { ...expected(), status: 'in_progress' }, 'summary.json');
    const listed = (await windows(p, '/api/v2/scheduled-maintenances.json')).find((w) => w.id === id);
    checkWindow(obj(listed, 'listed'), { ...expected(), status: 'in_progress' }, 'scheduled-maintenances.json');

    const components = arr((await getJson(p, '/api/v2/components.json')).components, 'components').map((c) => obj(c, 'component'));
    assert.equal(components.find((c) => c.id === api)?.status, 'under_maintenance');
    assert.equal(components.find((c) => c.id === web)?.status, 'under_maintenance');
    const status = obj((await getJson(p, '/api/v2/status.json')).status, 'status');
    assert.equal(status.indicator, 'maintenance');
    assert.equal(status.description, 'Service Under Maintenance');
    await neverAnIncident('in progress');

    const page = await request(p.app).get('/').expect(200);
    assert.match(page.text, /Maintenance in progress/);
    assert.match(page.text, /Database upgrade/);
    assert.doesNotMatch(page.text, /<h2[^>]*>Scheduled maintenance<\/h2>/, 'no longer listed as upcoming');
  });

  it('verifying, then completed, through the management API', async () => {
    p.clock.set('2026-12-01T03:30:00.000Z');
    const verifying = await v1Patch({ status: 'verifying', body: 'Checking replication.' });
    assert.equal(verifying.status, 200, verifying.text);
    assert.equal((verifying.body as Json).status, 'verifying');
    const active = await windows(p, '/api/v2/scheduled-maintenances/active.json');
    assert.deepEqual(
      active.map((w) => w.id),
      [id],
      'verifying is still active',
    );
    checkWindow(active[0] as Json, { ...expected(), status: 'verifying' }, 'active.json');
    await neverAnIncident('verifying');

    const completed = await v1Patch({ status: 'completed' });
    assert.equal(completed.status, 200, completed.text);
    assert.equal((completed.body as Json).status, 'completed');
    const listed = (await windows(p, '/api/v2/scheduled-maintenances.json')).find((w) => w.id === id);
    checkWindow(obj(listed, 'listed'), { ...expected(), status: 'completed' }, 'scheduled-maintenances.json');
    assert.deepEqual(await windows(p, '/api/v2/scheduled-maintenances/active.json'), []);
    assert.deepEqual(await windows(p, '/api/v2/scheduled-maintenances/upcoming.json'), []);
    assert.deepEqual(await windows(p, '/api/v2/summary.json'), []);
    const components = arr((await getJson(p, '/api/v2/components.json')).components, 'components').map((c) => obj(c, 'component'));
    assert.equal(components.find((c) => c.id === api)?.status, 'operational');
    assert.equal(components.find((c) => c.id === web)?.status, 'operational');
    await neverAnIncident('completed');

    const page = await request(p.app).get('/').expect(200);
    assert.doesNotMatch(page.text, /Maintenance in progress/);
    assert.doesNotMatch(page.text, /<h2[^>]*>Scheduled maintenance<\/h2>/);
  });
});

describe('scheduled maintenance in the management API (v1)', () => {
  let p: TestPharos;
  let api = '';
  let web = '';
  let key = '';
  let base = '';
  let id = '';

  before(async () => {
    p = await startPharos({ env: { PUBLIC_URL: 'http://status.acme.test', TIME_ZONE: 'Europe/Paris' } });
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    web = createComponent(p.ctx, system, { name: 'Web app' }).id;
    key = addApiKey(p);
    base = `/api/v1/pages/${p.ctx.pageId}`;
  });
  after(() => p.close());

  const call = (method: 'get' | 'post' | 'patch', path: string, body?: unknown) => {
    const req = request(p.app)
      [method](base + path)
      .set('Authorization', `OAuth ${key}`);
    return body === undefined ? req : req.send(body as object);
  };
  const count = () => p.ctx.db.prepare('SELECT COUNT(*) FROM incidents').pluck().get() as number;
  const componentStatus = async (c: string) => obj((await call('get', `/components/${c}`).expect(200)).body as unknown, 'component').status;

  it('POST an incident with scheduled_for and scheduled_until creates a maintenance window (201, scheduled)', async () => {
    const res = await call('post', '/incidents', {
      incident: {
        name: 'Network switch replacement',
        scheduled_for: '2026-12-10T01:00:00Z',
        scheduled_until: '2026-12-10T03:00:00Z',
        scheduled_remind_prior: true,
        scheduled_auto_in_progress: true,
        scheduled_auto_completed: true,
        component_ids: [api, web],
        body: 'The core switch is replaced; short interruptions are expected.',
      },
    });
    assert.equal(res.status, 201, res.text);
    const m = obj(res.body as unknown, 'created');
    id = String(m.id);
    checkWindow(
      m,
      {
        id,
        status: 'scheduled',
        from: '2026-12-10T01:00:00Z',
        until: '2026-12-10T03:00:00Z',
        remind: true,
        autoStart: true,
        autoComplete: true,
        components: [api, web],
      },
      'v1 created',
    );
    const updates = arr(m.incident_updates, 'updates');
    assert.match(String(obj(updates[0], 'update').body), /core switch/);

    const fetched = obj((await call('get', `/incidents/${id}`).expect(200)).body as unknown, 'fetched');
    assert.equal(fetched.scheduled_for, m.scheduled_for);
    const list = arr((await call('get', '/incidents').expect(200)).body as unknown, 'list');
    assert.ok(
      list.some((i) => obj(i, 'incident').id === id),
      'listed by the management API',
    );
    const upcoming = await windows(p, '/api/v2/scheduled-maintenances/upcoming.json');
    assert.deepEqual(
      upcoming.map((w) => w.id),
      [id],
      'and upcoming in v2',
    );
    assert.ok(!(await incidentIds(p, '/api/v2/incidents.json')).includes(id));
    assert.equal(await componentStatus(api), 'operational', 'nothing changes before the window');
  });

  it('refuses an end before the start with 422 naming incident.scheduled_until, creating nothing', async () => {
    const before = count();
    for (const until of ['2026-12-10T00:00:00Z', '2026-12-10T01:00:00Z']) {
      const res = await call('post', '/incidents', {
        incident: { name: 'Backwards', scheduled_for: '2026-12-10T01:00:00Z', scheduled_until: until, component_ids: [api] },
      });
      assert.equal(res.status, 422, res.text);
      const error = obj(obj(res.body as unknown, 'body').error, 'error');
      const fields = obj(error.fields, 'error.fields');
      assert.ok('incident.scheduled_until' in fields, `names incident.scheduled_until: ${JSON.stringify(fields)}`);
    }
    const missing = await call('post', '/incidents', { incident: { name: 'Open-ended', scheduled_for: '2026-12-10T01:00:00Z', component_ids: [api] } });
    assert.equal(missing.status, 422, missing.text);
    assert.ok('incident.scheduled_until' in obj(obj(obj(missing.body as unknown, 'body').error, 'error').fields, 'fields'));
    assert.equal(count(), before);
    // Moving an existing window backwards is refused the same way.
    const res = await call('patch', `/incidents/${id}`, { incident: { scheduled_until: '2026-12-09T00:00:00Z' } });
    assert.equal(res.status, 422, res.text);
    assert.ok('incident.scheduled_until' in obj(obj(obj(res.body as unknown, 'body').error, 'error').fields, 'fields'));
  });

  it('PATCH status in_progress starts it, completed ends it', async () => {
    p.clock.set('2026-12-10T01:05:00.000Z');
    const started = await call('patch', `/incidents/${id}`, { incident: { status: 'in_progress' } });
    assert.equal(started.status, 200, started.text);
    assert.equal(obj(started.body as unknown, 'started').status, 'in_progress');
    assert.equal(await componentStatus(api), 'under_maintenance');
    assert.equal(await componentStatus(web), 'under_maintenance');
    assert.deepEqual(
      (await windows(p, '/api/v2/scheduled-maintenances/active.json')).map((w) => w.id),
      [id],
    );

    p.clock.set('2026-12-10T02:00:00.000Z');
    const done = await call('patch', `/incidents/${id}`, { incident: { status: 'completed', body: 'All done.' } });
    assert.equal(done.status, 200, done.text);
    const m = obj(done.body as unknown, 'done');
    assert.equal(m.status, 'completed');
    assert.ok(typeof m.resolved_at === 'string', 'resolved_at is set on completion');
    assert.equal(await componentStatus(api), 'operational');
    assert.equal(await componentStatus(web), 'operational');
    assert.deepEqual(await windows(p, '/api/v2/scheduled-maintenances/active.json'), []);
  });

  it('scheduled_remind_prior false means no reminder; a status of an incident is refused for a window', async () => {
    const res = await call('post', '/incidents', {
      incident: {
        name: 'No reminder',
        scheduled_for: '2026-12-11T01:00:00Z',
        scheduled_until: '2026-12-11T02:00:00Z',
        scheduled_remind_prior: false,
        scheduled_auto_in_progress: false,
        scheduled_auto_completed: false,
        component_ids: [api],
      },
    });
    assert.equal(res.status, 201, res.text);
    const m = obj(res.body as unknown, 'created');
    assert.equal(m.scheduled_remind_prior, false);
    assert.equal(m.scheduled_auto_in_progress, false);
    assert.equal(m.scheduled_auto_completed, false);
    const wrong = await call('patch', `/incidents/${String(m.id)}`, { incident: { status: 'resolved' } });
    assert.equal(wrong.status, 422, wrong.text);
  });
});

describe('the iCalendar feed and per-window files', () => {
  let p: TestPharos;
  let api = '';
  let longId = '';
  let plainId = '';
  let incidentId = '';
  // Over 75 octets, with multi-byte characters, commas and semicolons.
  const LONG = 'Mise à jour planifiée des bases de données, du réseau; et du stockage — Zürich, Genève; Île-de-France (phase 2/3)';
  const HOST = 'status.acme.test';

  before(async () => {
    p = await startPharos({ env: { PUBLIC_URL: `http://${HOST}`, TIME_ZONE: 'Europe/Paris' } });
    api = createComponent(p.ctx, system, { name: 'API, public; v2' }).id;
    longId = scheduleMaintenance(p.ctx, system, {
      name: LONG,
      body: 'Line one.\nLine two, with a comma; and a semicolon.',
      scheduled_for: '2026-12-01T02:00:00Z',
      scheduled_until: '2026-12-01T04:30:00Z',
      component_ids: [api],
    }).id;
    plainId = scheduleMaintenance(p.ctx, system, {
      name: 'Certificate rotation',
      scheduled_for: '2026-12-05T22:00:00Z',
      scheduled_until: '2026-12-05T23:00:00Z',
    }).id;
    incidentId = createIncident(p.ctx, system, { name: 'An ordinary incident' }).id;
  });
  after(() => p.close());

  async function fetchCalendar(path: string): Promise<{ raw: string; events: InstanceType<typeof ICAL.Component>[] }> {
    const res = await request(p.app)
      .get(path)
      .buffer(true)
      .parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => done(null, Buffer.concat(chunks).toString('utf8')));
      });
    assert.equal(res.status, 200, `${path}: ${String(res.body).slice(0, 300)}`);
    assert.match(String(res.headers['content-type']), /^text\/calendar\b/, `${path} is text/calendar`);
    const raw = String(res.body);
    assert.ok(raw.startsWith('BEGIN:VCALENDAR\r\n'), `${path} starts a calendar with CRLF`);
    assert.ok(raw.endsWith('END:VCALENDAR\r\n'));
    const lines = raw.split('\r\n');
    assert.ok(!lines.some((l) => l.includes('\n') || l.includes('\r')), 'every line ends with CRLF');
    for (const line of lines) {
      assert.ok(Buffer.byteLength(line, 'utf8') <= 75, `${path}: a line of ${Buffer.byteLength(line, 'utf8')} octets: ${line}`);
    }
    // Folding never cuts a UTF-8 sequence: each physical line is valid UTF-8 on its own.
    for (const line of lines) assert.ok(!line.includes('\uFFFD'), `${path}: no broken character in ${line}`);
    const cal = new ICAL.Component(ICAL.parse(raw) as unknown[]);
    assert.equal(cal.name, 'vcalendar');
    assert.equal(cal.getFirstPropertyValue('version'), '2.0');
    assert.ok(String(cal.getFirstPropertyValue('prodid')).length > 0, 'a PRODID');
    return { raw, events: cal.getAllSubcomponents('vevent') };
  }

  const uid = (id: string) => `maintenance-${id}@${HOST}`;
  const eventFor = (events: InstanceType<typeof ICAL.Component>[], id: string) => {
    const found = events.find((e) => e.getFirstPropertyValue('uid') === uid(id));
    assert.ok(found, `an event with UID ${uid(id)}`);
    return found;
  };
  /** A DATE-TIME property as an instant, checked to be in UTC. */
  const utc = (event: InstanceType<typeof ICAL.Component>, name: string): string => {
    const value = event.getFirstPropertyValue(name);
    assert.ok(value instanceof ICAL.Time, `${name} is a date-time`);
    assert.equal(value.isDate, false, `${name} has a time`);
    assert.equal(value.zone, ICAL.Timezone.utcTimezone, `${name} is in UTC`);
    return value.toJSDate().toISOString();
  };
  const unfolded = (raw: string) => raw.replace(/\r\n[ \t]/g, '');

  it('/maintenance.ics lists every window as a VEVENT with its UID, UTC times, summary and status', async () => {
    const { raw, events } = await fetchCalendar('/maintenance.ics');
    assert.equal(events.length, 2, 'the two windows, not the incident');
    const long = eventFor(events, longId);
    assert.equal(utc(long, 'dtstart'), '2026-12-01T02:00:00.000Z');
    assert.equal(utc(long, 'dtend'), '2026-12-01T04:30:00.000Z');
    utc(long, 'dtstamp');
    assert.ok(String(long.getFirstPropertyValue('summary')).includes(LONG), `SUMMARY carries the name: ${String(long.getFirstPropertyValue('summary'))}`);
    assert.equal(long.getFirstPropertyValue('status'), 'CONFIRMED');
    assert.match(String(long.getFirstPropertyValue('description')), /Line one\.\nLine two, with a comma; and a semicolon\./);
    assert.match(String(long.getFirstPropertyValue('description')), /API, public; v2/);

    const plain = eventFor(events, plainId);
    assert.equal(utc(plain, 'dtstart'), '2026-12-05T22:00:00.000Z');
    assert.equal(utc(plain, 'dtend'), '2026-12-05T23:00:00.000Z');
    assert.ok(String(plain.getFirstPropertyValue('summary')).includes('Certificate rotation'));

    // The raw text: the long name needed folding, and its commas and semicolons are escaped.
    const text = unfolded(raw);
    const summaryLine = text.split('\r\n').find((l) => l.startsWith('SUMMARY:') && l.includes('Mise'));
    assert.ok(summaryLine, 'the SUMMARY line');
    assert.ok(Buffer.byteLength(summaryLine, 'utf8') > 75, 'long enough to need folding');
    assert.ok(raw.includes('\r\n '), 'folded with CRLF and a space');
    assert.match(summaryLine, /données\\, du réseau\\; et du stockage — Zürich\\, Genève\\; Île-de-France/);
    assert.doesNotMatch(summaryLine.replace(/\\[,;\\n]/gi, ''), /[,;]/, 'no unescaped comma or semicolon in the SUMMARY value');
    assert.match(text, /^DTSTART:20261201T020000Z$/m, 'DTSTART in UTC form');
    assert.match(text, /^DTEND:20261201T043000Z$/m);
  });

  it('/incidents/:id.ics downloads one window; an incident has none (404)', async () => {
    const res = await request(p.app).get(`/incidents/${plainId}.ics`).expect(200);
    assert.match(String(res.headers['content-type']), /^text\/calendar\b/);
    assert.match(String(res.headers['content-disposition']), /attachment/);
    const { events } = await fetchCalendar(`/incidents/${longId}.ics`);
    assert.equal(events.length, 1);
    const only = eventFor(events, longId);
    assert.equal(utc(only, 'dtstart'), '2026-12-01T02:00:00.000Z');
    assert.equal(utc(only, 'dtend'), '2026-12-01T04:30:00.000Z');
    assert.ok(String(only.getFirstPropertyValue('summary')).includes(LONG));

    await request(p.app).get(`/incidents/${incidentId}.ics`).expect(404);
    await request(p.app).get('/incidents/nosuchwindow.ics').expect(404);
    // The window's own page still answers at its address without .ics.
    await request(p.app).get(`/incidents/${longId}`).expect(200);
  });

  it('escapes every kind of line ending in a body (CR alone, CRLF, LF) and keeps tabs', async () => {
    const id = scheduleMaintenance(p.ctx, system, {
      name: 'Line endings',
      body: 'Bare CR\rthen CRLF\r\nthen LF\nthen a\ttab.',
      scheduled_for: '2026-12-08T02:00:00Z',
      scheduled_until: '2026-12-08T03:00:00Z',
    }).id;
    // fetchCalendar checks that no physical line holds a CR or LF of its own.
    for (const path of ['/maintenance.ics', `/incidents/${id}.ics`]) {
      const { raw, events } = await fetchCalendar(path);
      assert.match(String(eventFor(events, id).getFirstPropertyValue('description')), /^Bare CR\nthen CRLF\nthen LF\nthen a\ttab\./);
      assert.match(unfolded(raw), /DESCRIPTION:Bare CR\\nthen CRLF\\nthen LF\\nthen a\ttab\./);
    }
    cancelMaintenance(p.ctx, system, id);
  });

  it('a moved window keeps its UID with new times and a higher SEQUENCE', async () => {
    const before = eventFor((await fetchCalendar(`/incidents/${plainId}.ics`)).events, plainId);
    const sequence = Number(before.getFirstPropertyValue('sequence'));
    p.clock.advance(60_000);
    patchMaintenance(p.ctx, system, plainId, { scheduled_for: '2026-12-06T22:00:00Z', scheduled_until: '2026-12-07T00:30:00Z' });
    const after = eventFor((await fetchCalendar(`/incidents/${plainId}.ics`)).events, plainId);
    assert.equal(utc(after, 'dtstart'), '2026-12-06T22:00:00.000Z');
    assert.equal(utc(after, 'dtend'), '2026-12-07T00:30:00.000Z');
    assert.ok(Number(after.getFirstPropertyValue('sequence')) > sequence, 'calendars replace their copy');
    const feed = eventFor((await fetchCalendar('/maintenance.ics')).events, plainId);
    assert.equal(utc(feed, 'dtstart'), '2026-12-06T22:00:00.000Z');
  });

  it('a cancelled window is STATUS:CANCELLED in the feed and in its file', async () => {
    p.clock.advance(60_000);
    cancelMaintenance(p.ctx, system, plainId);
    const feed = await fetchCalendar('/maintenance.ics');
    assert.equal(eventFor(feed.events, plainId).getFirstPropertyValue('status'), 'CANCELLED');
    assert.equal(eventFor(feed.events, longId).getFirstPropertyValue('status'), 'CONFIRMED');
    const file = await fetchCalendar(`/incidents/${plainId}.ics`);
    assert.equal(eventFor(file.events, plainId).getFirstPropertyValue('status'), 'CANCELLED');
  });
});
