import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createComponent } from '../../../server/domain/page/components.js';
import { createIncident, patchIncident } from '../../../server/domain/incidents/writes.js';
import { publishPostmortem, saveDraft } from '../../../server/domain/incidents/postmortem.js';
import { startPharos, type TestPharos } from '../../helpers/pharos.js';
import { dayOf, regionOf, statusPageNow, textOf } from '../../helpers/status-page.js';
import { viewer } from '../../helpers/viewer.js';

const system = { type: 'system' } as const;

/**
 * "Past incidents" on the status page, as Statuspage shows them: every incident of each of the last
 * seven days, open or resolved, with its latest update's status and text; how long a resolved one
 * lasted in words a person reads. What a GET shows is what a live viewer is sent.
 */
describe('past incidents: every incident of each day, with its latest update', () => {
  let p: TestPharos;
  let api = '';
  let outage = '';

  before(async () => {
    p = await startPharos({ listen: true });
    p.clock.set('2026-12-07T09:00:00.000Z');
    api = createComponent(p.ctx, system, { name: 'API' }).id;
  });
  after(() => p.close());

  it('lists an open incident under today with its latest update, never "No incidents reported." under it', async () => {
    outage = createIncident(p.ctx, system, {
      name: 'Checkout is down',
      status: 'investigating',
      body: 'We are looking into **failed payments**.',
      components: { [api]: 'major_outage' },
    }).id;
    p.clock.set('2026-12-07T09:20:00.000Z');
    patchIncident(p.ctx, system, outage, { status: 'identified', body: 'A bad deploy; we are rolling it back.' });

    const page = await statusPageNow(p);
    assert.match(regionOf(page, 'banner').html, /Major Service Outage/);
    const today = dayOf(regionOf(page, 'past').html, '7 December 2026');
    assert.doesNotMatch(today, /No incidents reported/);
    assert.match(today, new RegExp(`<a href="/incidents/${outage}">Checkout is down</a>`));
    assert.match(today, /past-incident--critical/, 'edged in its impact');
    assert.match(textOf(today), /Identified · 7 Dec 2026, 09:20 UTC A bad deploy; we are rolling it back\./, 'the latest update: status, time, text');
    assert.doesNotMatch(today, /failed payments/, 'only the latest update');
    assert.doesNotMatch(today, /Resolved/, 'not resolved');
    // The days before had none.
    assert.match(dayOf(regionOf(page, 'past').html, '6 December 2026'), /No incidents reported/);
  });

  it('says how long a resolved incident lasted as a sentence: "within a minute", "after 4 h 12 min", a postmortem linked', async () => {
    p.clock.set('2026-12-07T10:00:00.000Z');
    const blip = createIncident(p.ctx, system, { name: 'A blip', body: 'Errors on login.', components: { [api]: 'partial_outage' } }).id;
    p.clock.set('2026-12-07T10:00:20.000Z');
    patchIncident(p.ctx, system, blip, { status: 'resolved', body: 'Back to normal.' });
    p.clock.set('2026-12-07T13:12:00.000Z');
    patchIncident(p.ctx, system, outage, { status: 'resolved', body: 'Payments work again.' });
    saveDraft(p.ctx, system, outage, { body_draft: 'What happened, and what we change.' });
    publishPostmortem(p.ctx, system, outage, { notify_subscribers: false });

    const page = await statusPageNow(p);
    const today = textOf(dayOf(regionOf(page, 'past').html, '7 December 2026'));
    assert.match(today, /A blip Resolved · 7 Dec 2026, 10:00 UTC Back to normal\. Resolved within a minute/);
    assert.match(today, /Checkout is down Postmortem · 7 Dec 2026, 13:12 UTC .+ Resolved after 4 h 12 min · Postmortem published/);
    assert.match(page, new RegExp(`<a href="/incidents/${outage}#postmortem-heading">Postmortem published</a>`));
    const history = (await request(p.app).get('/history').expect(200)).text;
    assert.match(textOf(history), /A blip 7 Dec 2026, 10:00 UTC · Resolved within a minute/);
    assert.match(textOf(history), /Checkout is down 7 Dec 2026, 09:00 UTC · Resolved after 4 h 12 min · Postmortem published/);
    for (const [where, html] of [
      ['status page', page],
      ['history', history],
    ] as const) {
      assert.doesNotMatch(html, /after under a minute/, where);
      assert.doesNotMatch(html, /Postmortem after|Postmortem · resolved/, where);
    }
    // The incident's own page has the heading the link points to.
    const incident = (await request(p.app).get(`/incidents/${outage}`).expect(200)).text;
    assert.match(incident, /id="postmortem-heading"/);
  });

  it('sends a live viewer the very region a GET shows, after each update', async () => {
    const v = viewer(p.url);
    const first = await v.next(() => true);
    const before = regionOf((await request(p.app).get('/').expect(200)).text, 'past');
    assert.equal(first.html.past, before.html);
    assert.equal(first.update.hashes.past, before.hash);

    p.clock.set('2026-12-07T14:00:00.000Z');
    const slow = createIncident(p.ctx, system, { name: 'Search is slow', body: 'Looking into it.', components: { [api]: 'degraded_performance' } }).id;
    const opened = await v.next((u) => u.version > first.version && u.html.past.includes('Search is slow'));
    const got = regionOf((await request(p.app).get('/').expect(200)).text, 'past');
    assert.equal(opened.html.past, got.html, 'the region a viewer composes is the one a GET returns');
    assert.equal(opened.update.hashes.past, got.hash);
    assert.match(textOf(dayOf(opened.html.past, '7 December 2026')), /Search is slow Investigating · 7 Dec 2026, 14:00 UTC Looking into it\./);

    patchIncident(p.ctx, system, slow, { status: 'monitoring', body: 'A fix is out.' });
    const next = await v.next((u) => u.version > opened.version);
    assert.match(next.update.html.past ?? '', /A fix is out\./, 'the update reaches the past region live');
    assert.equal(next.html.past, regionOf((await request(p.app).get('/').expect(200)).text, 'past').html);
    v.socket.close();
  });

  it('lists at most 25 incidents of a day in full (an alert storm), and says how many more the history has', async () => {
    for (let n = 0; n < 27; n++) {
      p.clock.set(new Date(Date.parse('2026-12-05T08:00:00.000Z') + n * 60_000).toISOString());
      createIncident(p.ctx, system, { name: `Alert ${n}`, body: `Alert number ${n}.` });
    }
    p.clock.set('2026-12-07T15:00:00.000Z');
    const day = dayOf(regionOf(await statusPageNow(p), 'past').html, '5 December 2026');
    assert.equal([...day.matchAll(/<li class="past-incident /g)].length, 25);
    assert.match(day, /Alert 26</, 'the newest first');
    assert.doesNotMatch(day, /Alert 1</);
    assert.match(day, /<a href="\/history">2 more that day in the incident history<\/a>/);
  });
});
