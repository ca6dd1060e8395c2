import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createComponent } from '../../../../server/domain/page/components.js';
import { startPharos, type TestPharos } from '../../../helpers/pharos.js';
import { barsOnPage, outage, statusPage, system } from './uptime-history.js';

/**
 * A page installed today, as a new user tries it: a component created minutes ago, a few seconds of
 * major outage. A day is a day (as on Statuspage): 4 s of outage is 99.99 %, not the 99.9 % or worse
 * of the minutes the component has existed, and the figure does not creep up as the day goes on.
 */
describe('uptime of a component created today', () => {
  let p: TestPharos;
  let api = '';

  before(async () => {
    p = await startPharos();
    p.clock.set('2026-12-01T10:30:00.000Z');
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    createComponent(p.ctx, system, { name: 'Web app' });
    outage(p, 'A short blip', api, 'major_outage', '2026-12-01T10:36:00.000Z', '2026-12-01T10:36:04.000Z');
  });
  after(async () => {
    await p.close();
  });

  it('4 s of major outage today shows at least 99.9 %, the same at 10:38 as at 23:00', async () => {
    for (const at of ['2026-12-01T10:38:00.000Z', '2026-12-01T23:00:00.000Z']) {
      p.clock.set(at);
      const bars = barsOnPage(await statusPage(p), 'API');
      assert.equal(bars.figure, '99.99 % uptime · 90 days', at);
      assert.ok(Number.parseFloat(bars.figure) >= 99.9);
    }
  });

  it('shows 90 days on every row: the days before the component was added are labelled "no data"', async () => {
    const html = await statusPage(p);
    for (const name of ['API', 'Web app']) {
      const bars = barsOnPage(html, name);
      assert.equal(bars.dayCount, 90, name);
      assert.equal(bars.tips[0], '3 September 2026 – 30 November 2026: no data (before this component was added)', name);
    }
    assert.equal(barsOnPage(html, 'Web app').figure, '100.00 % uptime · 90 days');
    assert.match(html, /<li class="bar bar--nodata span n89 r29">/);
  });
});
