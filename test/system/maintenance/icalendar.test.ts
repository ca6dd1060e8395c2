import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import ICAL from 'ical.js';
import request from 'supertest';
import { createComponent } from '../../../server/domain/page/components.js';
import { createIncident } from '../../../server/domain/incidents/writes.js';
import { cancelMaintenance, patchMaintenance, scheduleMaintenance } from '../../../server/domain/incidents/maintenance.js';
import { startPharos, type TestPharos } from '../../helpers/pharos.js';
import { system } from './api-world.js';

/** Scheduled maintenance as the public sees it in calendars: the iCalendar feed and the per-window files. */

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
