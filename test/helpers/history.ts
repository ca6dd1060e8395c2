import type { Context } from '../../server/context.js';
import { createIncident, patchIncident } from '../../server/domain/incidents/writes.js';
import type { FakeClock } from './pharos.js';

const system = { type: 'system' } as const;

/**
 * `count` incidents through the domain's write path, each on one of `components`, spread evenly over the
 * `days` before the clock's time and resolved 45 minutes after they started (the clock moved along, so
 * that the components' status history is that old too, then set back). A transaction per 250: each is
 * still its own change, with its event and audit row; only the disk syncs are shared.
 */
export function seedHistory(ctx: Context, clock: FakeClock, count: number, opts: { components: string[]; days: number }): string[] {
  const ids: string[] = [];
  const now = clock.now().getTime();
  const step = (opts.days * 86_400_000) / count;
  for (let from = 0; from < count; from += 250) {
    ctx.db.transaction(() => {
      for (let i = from; i < Math.min(count, from + 250); i++) {
        clock.set(new Date(now - opts.days * 86_400_000 + i * step).toISOString());
        const component = opts.components[i % opts.components.length] ?? '';
        const incident = createIncident(ctx, system, {
          name: `Past incident ${i + 1}`,
          body: 'Investigating.',
          components: component ? { [component]: 'partial_outage' } : {},
        });
        clock.advance(45 * 60_000);
        patchIncident(ctx, system, incident.id, {
          status: 'resolved',
          body: 'Resolved.',
          ...(component ? { components: { [component]: 'operational' } } : {}),
        });
        ids.push(incident.id);
      }
    })();
  }
  clock.set(new Date(now).toISOString());
  return ids;
}
