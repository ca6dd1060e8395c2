// The page every benchmark measures: 40 components in 6 groups, 3 open incidents with 5 updates each,
// 300 past incidents over 90 days, written through the domain's own write path with a moving clock.
// bench:flood seeds more history (pastIncidents), spread over more days.
import { loadConfig } from '../../server/config.js';
import { type Clock } from '../../server/context.js';
import { createContext } from '../../server/compose.js';
import { createGroup } from '../../server/domain/page/groups.js';
import { createApiKey } from '../../server/domain/access/api-keys.js';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident, patchIncident } from '../../server/domain/incidents/writes.js';
import { createLog } from '../../server/log.js';

const system = { type: 'system' } as const;

export const SEEDED_PAGE = '40 components in 6 groups, 3 open incidents with 5 updates each, 300 past incidents over 90 days';

/** Past incidents committed per transaction while seeding: each is still its own change (event, audit row), only the fsyncs are shared. */
const BATCH = 250;

export interface Seeded {
  pageId: string;
  /** A management API key, for the benchmarks that post. */
  apiKey: string;
  openIncidentIds: string[];
  componentIds: string[];
}

/**
 * 40 components in 6 groups, `openIncidents` open incidents (3 by default) with 5 updates each, and
 * `pastIncidents` resolved ones (300 by default) over the last `days` (90 by default).
 */
export function seed(dataDir: string, opts: { pastIncidents?: number; days?: number; openIncidents?: number } = {}): Seeded {
  const past = opts.pastIncidents ?? 300;
  const days = opts.days ?? 90;
  const begin = Date.now() - (days + 1) * 86_400_000;
  let t = begin;
  const clock: Clock = { now: () => new Date(t) };
  const ctx = createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', PAGE_NAME: 'ACME Status' }), { clock, log: createLog('silent') });
  const components: string[] = [];
  for (let g = 0; g < 6; g++) {
    const group = createGroup(ctx, system, { name: `Region ${g + 1}` });
    for (let c = 0; c < (g < 4 ? 7 : 6); c++) components.push(createComponent(ctx, system, { name: `Service ${g + 1}.${c + 1}`, group_id: group.id }).id);
  }
  const pick = (i: number) => components[i % components.length] ?? '';
  for (let from = 0; from < past; from += BATCH) {
    ctx.db.transaction(() => {
      for (let i = from; i < Math.min(past, from + BATCH); i++) {
        // Evenly over the days, each resolved 45 minutes after it started (none in the future).
        t = begin + ((i + 1) * days * 86_400_000) / past;
        const incident = createIncident(ctx, system, {
          name: `Past incident ${i + 1}`,
          body: 'Investigating.',
          components: { [pick(i)]: i % 3 ? 'partial_outage' : 'major_outage' },
        });
        t += 45 * 60_000;
        patchIncident(ctx, system, incident.id, { status: 'resolved', body: 'Resolved.' });
      }
    })();
  }
  t = Date.now() - 3 * 3_600_000;
  const openIncidentIds: string[] = [];
  for (let i = 0; i < (opts.openIncidents ?? 3); i++) {
    const incident = createIncident(ctx, system, {
      name: `Open incident ${i + 1}`,
      body: 'We are investigating.',
      components: { [pick(i * 5)]: 'major_outage' },
    });
    for (const status of ['identified', 'monitoring', 'identified', 'monitoring'] as const) {
      t += 10 * 60_000;
      patchIncident(ctx, system, incident.id, { status, body: `Still on it (${status}).` });
    }
    openIncidentIds.push(incident.id);
  }
  const { key } = createApiKey(ctx, { type: 'system' }, { name: 'benchmark' });
  const pageId = ctx.pageId;
  ctx.db.close();
  return { pageId, apiKey: key, openIncidentIds, componentIds: components };
}
