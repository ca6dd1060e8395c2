import type { Incident } from '../domain/incidents/queries.js';
import { isResolved } from '../domain/page/status.js';
import { formatDuration } from '../render/format.js';

/**
 * How long a resolved incident lasted, for views/partials/status/resolution.hbs, which words it
 * ("Resolved after 3 h 12 min", "Resolved within a minute"): the words stay in the template.
 */
export interface Resolution {
  after: string;
  withinAMinute: boolean;
}

export function resolutionOf(i: Pick<Incident, 'status' | 'started_at' | 'resolved_at'>): Resolution | undefined {
  if (!isResolved(i.status) || !i.resolved_at) return undefined;
  // Under 30 s, formatDuration says "under a minute" (it rounds to the minute).
  return { after: formatDuration(i.started_at, i.resolved_at), withinAMinute: Date.parse(i.resolved_at) - Date.parse(i.started_at) < 30_000 };
}
