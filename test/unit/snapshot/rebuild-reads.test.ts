import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Db } from '../../../server/db/open.js';
import { createIncident, patchIncident } from '../../../server/domain/incidents/writes.js';
import { createComponent, updateComponent } from '../../../server/domain/page/components.js';
import { seedHistory } from '../../helpers/history.js';
import { startPharos, type TestPharos } from '../../helpers/pharos.js';

const system = { type: 'system' } as const;
const INCIDENTS = 2000;
/** Tables that grow with the history: the snapshot never reads one whole after a change. */
const GROWING = [
  'incidents',
  'incident_updates',
  'incident_update_components',
  'incident_components',
  'component_status_log',
  'uptime_days',
  'communications',
  'events',
];

/** Every statement prepared on `db` while recording: its SQL, its first parameters, the rows it returned. */
function recordReads(db: Db) {
  const prepare = db.prepare.bind(db);
  const reads: { sql: string; params: unknown[]; rows: number }[] = [];
  db.prepare = ((sql: string) => {
    const statement = prepare(sql);
    const read = { sql, params: [] as unknown[], rows: 0 };
    reads.push(read);
    const [all, get] = [statement.all.bind(statement), statement.get.bind(statement)];
    Object.assign(statement, {
      all: (...params: unknown[]) => {
        read.params = params;
        const rows = all(...params);
        read.rows += rows.length;
        return rows;
      },
      get: (...params: unknown[]) => {
        read.params = params;
        const row = get(...params);
        if (row !== undefined) read.rows += 1;
        return row;
      },
    });
    return statement;
  }) as typeof db.prepare;
  return {
    reads,
    /** The query plan's full scans of the growing tables. */
    scans: () =>
      reads
        .filter((r) => /^\s*(SELECT|WITH)/i.test(r.sql))
        .flatMap((r) =>
          (prepare(`EXPLAIN QUERY PLAN ${r.sql}`).all(...(r.params as [])) as { detail: string }[]).map((p) => `${p.detail} ← ${r.sql.trim().slice(0, 80)}`),
        )
        .filter((detail) => GROWING.some((table) => new RegExp(`^SCAN ${table}\\b`).test(detail))),
    stop: () => {
      db.prepare = prepare;
    },
  };
}

/**
 * A write's rebuild reads what the write changed and what the page shows now (the open incidents, the
 * latest 50, the last days), never the whole history: with 2,000 past incidents it reads fewer rows
 * than there are incidents, and no growing table whole.
 */
describe('what a rebuild reads after one change', () => {
  let p: TestPharos;
  let api = '';
  let open = '';
  let oldOne = '';

  before(async () => {
    p = await startPharos();
    // The component exists before its history.
    p.clock.advance(-(INCIDENTS + 1) * 86_400_000);
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    p.clock.advance((INCIDENTS + 1) * 86_400_000);
    // One incident a day, resolved: 2,000 days of history.
    oldOne = seedHistory(p.ctx, p.clock, INCIDENTS, { components: [api], days: INCIDENTS })[0] ?? '';
    open = createIncident(p.ctx, system, { name: 'Errors', body: 'Looking.', components: { [api]: 'major_outage' } }).id;
    p.ctx.snapshot.current();
  });
  after(() => p.close());

  it('reads a bounded number of rows, and no growing table whole', () => {
    patchIncident(p.ctx, system, open, { status: 'identified', body: 'Found it.' });
    const recorder = recordReads(p.ctx.db);
    try {
      p.ctx.snapshot.current();
    } finally {
      recorder.stop();
    }
    const rows = recorder.reads.reduce((n, r) => n + r.rows, 0);
    assert.ok(rows < INCIDENTS / 2, `${rows} rows read:\n${recorder.reads.map((r) => `${r.rows} ${r.sql.trim().slice(0, 100)}`).join('\n')}`);
    assert.deepEqual(recorder.scans(), []);
  });

  it("a component's new status changes the pages of the incidents going on, not of the past ones", () => {
    const before = p.ctx.snapshot.current().bodies;
    updateComponent(p.ctx, system, api, { status: 'partial_outage' });
    const after = p.ctx.snapshot.current().bodies;
    assert.notEqual(after.get(`/incidents/${open}`)?.etag, before.get(`/incidents/${open}`)?.etag, 'the ongoing one shows it');
    assert.equal(after.get(`/incidents/${oldOne}`), before.get(`/incidents/${oldOne}`), 'a past one lists the component by name, unchanged');
    assert.match(after.get(`/incidents/${oldOne}`)?.bytes.toString() ?? '', /<p class="affected">API<\/p>/);
  });
});
