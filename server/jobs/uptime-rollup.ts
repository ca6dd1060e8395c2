import type { Context } from '../context.js';
import { rollupUptime } from '../domain/page/uptime.js';
import type { Job } from './schedule.js';
import { pageZone } from '../domain/page/time-zone.js';

export const uptimeJob: Job = {
  id: 'uptime-rollup',
  schedule: '5 0 * * *',
  description: 'Rolls up the finished days of every component for the 90-day uptime bars',
  run: (ctx: Context, now) => {
    const written = rollupUptime(ctx.db, pageZone(ctx), now);
    if (written) ctx.bus.emit('page.recomputed');
    return `${written} component-days rolled up`;
  },
};
