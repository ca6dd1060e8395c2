import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createComponent } from '../../../server/domain/page/components.js';
import { createIncident, patchIncident } from '../../../server/domain/incidents/writes.js';
import type { ComponentStatus } from '../../../server/domain/page/status.js';
import { startPharos, type TestPharos } from '../../helpers/pharos.js';
import { regionOf, statusPageNow } from '../../helpers/status-page.js';

const system = { type: 'system' } as const;

/**
 * The uptime bars carry all 90 days in one document for every width: a narrow screen draws the last 30
 * (public/css/pharos.css), so the page marks what lies before them and states the 30 days' own uptime.
 * Every day stays in the list (screen readers read them all); the drawing is the browser tests' part.
 */
describe('uptime bars: 90 days for every width, the last 30 marked and counted for narrow screens', () => {
  let p: TestPharos;
  let api = '';

  const outage = (status: ComponentStatus, from: string, to: string) => {
    p.clock.set(from);
    const id = createIncident(p.ctx, system, { name: `Outage ${from}`, components: { [api]: status } }).id;
    p.clock.set(to);
    patchIncident(p.ctx, system, id, { status: 'resolved' });
  };

  before(async () => {
    p = await startPharos();
    p.clock.set('2026-08-01T10:00:00.000Z');
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    outage('major_outage', '2026-09-28T10:00:00.000Z', '2026-09-28T12:00:00.000Z');
    outage('partial_outage', '2026-12-02T10:00:00.000Z', '2026-12-02T10:30:00.000Z');
    p.clock.set('2026-12-07T12:00:00.000Z');
  });
  after(() => p.close());

  it('marks the bars before the last 30 days, and a quiet run crossing into them with its days among them', async () => {
    const row = regionOf(await statusPageNow(p), 'components').html;
    const list = /<ol class="uptime" aria-label="API: the last 90 days">([\s\S]*?)<\/ol>/.exec(row)?.[1] ?? '';
    const bars = [...list.matchAll(/<li class="bar([^"]*)"[^>]*><span class="tip">([^<]*)<\/span><\/li>/g)].map((m) => ({
      classes: (m[1] ?? '').trim(),
      tip: m[2] ?? '',
    }));
    assert.deepEqual(bars, [
      { classes: 'span n19 bar--older', tip: '9 September 2026 – 27 September 2026: no downtime' },
      { classes: 'bar--major_outage bar--older', tip: '28 September 2026: Major outage, 2 h of major outage; Outage 2026-09-28T10:00:00.000Z' },
      { classes: 'span n64 r24', tip: '29 September 2026 – 1 December 2026: no downtime' },
      { classes: 'bar--partial_outage', tip: '2 December 2026: Partial outage, 30 min of partial outage; Outage 2026-12-02T10:00:00.000Z' },
      { classes: 'span n5', tip: '3 December 2026 – 7 December 2026: no downtime' },
    ]);
  });

  it("states both ranges' uptime: 90 days for wide screens, the last 30 days' own for narrow ones", async () => {
    const row = regionOf(await statusPageNow(p), 'components').html;
    // 2 h of major outage and 30 min of partial (at 30 %) in 90 days; only the partial in the last 30.
    assert.match(row, /<p class="uptime__figure muted">99\.90 % uptime · 90 days<\/p>/);
    assert.match(row, /<p class="uptime__figure uptime__figure--recent muted">99\.97 % uptime · 30 days<\/p>/);
  });
});
