// The page every benchmark measures: 40 components in 6 groups, 3 open incidents with 5 updates each,
// 300 past incidents over 90 days, written through the domain's own write path with a moving clock.
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

export interface Seeded {
  pageId: string;
  /** A management API key, for the benchmarks that post. */
  apiKey: string;
  openIncidentIds: string[];
  componentIds: string[];
}

/** 40 components in 6 groups, 3 open incidents with 5 updates each, 300 past incidents over 90 days. */
export function seed(dataDir: string): Seeded {
  let t = Date.now() - 91 * 86_400_000;
  const clock: Clock = { now: () => new Date(t) };
  const ctx = createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', PAGE_NAME: 'ACME Status' }), { clock, log: createLog('silent') });
  const components: string[] = [];
  for (let g = 0; g < 6; g++) {
    const group = createGroup(ctx, system, { name: `Region ${g + 1}` });
    for (let c = 0; c < (g < 4 ? 7 : 6); c++) components.push(createComponent(ctx, system, { name: `Service ${g + 1}.${c + 1}`, group_id: group.id }).id);
  }
  const pick = (i: number) => components[i % components.length] ?? '';
  for (let i = 0; i < 300; i++) {
    t += (90 * 86_400_000) / 300;
    const incident = createIncident(ctx, system, {
      name: `Past incident ${i + 1}`,
      body: 'Investigating.',
      components: { [pick(i)]: i % 3 ? 'partial_outage' : 'major_outage' },
    });
    t += 45 * 60_000;
    patchIncident(ctx, system, incident.id, { status: 'resolved', body: 'Resolved.' });
  }
  t = Date.now() - 3 * 3_600_000;
  const openIncidentIds: string[] = [];
  for (let i = 0; i < 3; i++) {
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
