import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { barSpans, type DayBar } from '../../../../server/domain/page/uptime.js';

/**
 * How the days of an uptime bar are grouped into the bars drawn (server/domain/page/uptime.ts):
 * a run of quiet days is one bar; any other day is a bar of its own.
 */

describe('bar spans', () => {
  const day = (key: string, worst: DayBar['worst'], incidents: DayBar['incidents'] = []): DayBar => ({
    key,
    label: key,
    worst,
    incidents,
    major: 0,
    partial: 0,
    degraded: 0,
    maintenance: 0,
    observed: 1440,
    length: 1440,
    noData: false,
  });

  it('merges only quiet days: operational and without incidents', () => {
    const spans = barSpans([
      day('d1', 'operational'),
      day('d2', 'operational'),
      day('d3', 'operational', [{ id: 'i1', name: 'Reported, no outage' }]),
      day('d4', 'operational'),
      day('d5', 'degraded_performance'),
      day('d6', 'operational'),
      day('d7', 'operational'),
      day('d8', 'operational'),
    ]);
    assert.deepEqual(
      spans.map((s) => [s.first.key, s.last.key, s.days]),
      [
        ['d1', 'd2', 2],
        ['d3', 'd3', 1],
        ['d4', 'd4', 1],
        ['d5', 'd5', 1],
        ['d6', 'd8', 3],
      ],
    );
  });

  it('merges the days without data into one span, apart from the quiet days after them', () => {
    const none = (key: string): DayBar => ({ ...day(key, 'operational'), observed: 0, noData: true });
    const spans = barSpans([none('d1'), none('d2'), none('d3'), day('d4', 'operational'), day('d5', 'operational'), day('d6', 'major_outage')]);
    assert.deepEqual(
      spans.map((s) => [s.first.key, s.last.key, s.days, s.first.noData]),
      [
        ['d1', 'd3', 3, true],
        ['d4', 'd5', 2, false],
        ['d6', 'd6', 1, false],
      ],
    );
  });
});
