import type { Context } from '../../server/context.js';
import { createIncident, patchIncident } from '../../server/domain/incidents/writes.js';

const system = { type: 'system' } as const;

/**
 * `count` resolved incidents through the domain's write path, each on one of `components`, spread
 * evenly over the `days` before `now` (a transaction per 250: each is still its own change, with its
 * event and audit row; only the disk syncs are shared).
 */
export function seedHistory(ctx: Context, count: number, opts: { components: string[]; days: number; now: Date }): string[] {
  const ids: string[] = [];
  const step = (opts.days * 86_400_000) / count;
  for (let from = 0; from < count; from += 250) {
    ctx.db.transaction(() => {
      for (let i = from; i < Math.min(count, from + 250); i++) {
        const start = new Date(opts.now.getTime() - opts.days * 86_400_000 + i * step).toISOString();
        const component = opts.components[i % opts.components.length] ?? '';
        const incident = createIncident(ctx, system, {
          name: `Past incident ${i + 1}`,
          body: 'Investigating.',
          started_at: start,
          components: component ? { [component]: 'partial_outage' } : {},
        });
        patchIncident(ctx, system, incident.id, {
          status: 'resolved',
          body: 'Resolved.',
          ...(component ? { components: { [component]: 'operational' } } : {}),
        });
        ids.push(incident.id);
      }
    })();
  }
  return ids;
}
