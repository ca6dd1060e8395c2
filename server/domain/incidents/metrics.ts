import type { Db } from '../../db/open.js';
import { listStartedBetween, type Incident } from './queries.js';

/** Resolution figures for a set of incidents (maintenance apart). */
export interface ResolutionFigures {
  count: number;
  resolved: number;
  meanResolveMs: number | null;
  medianResolveMs: number | null;
  /** From the start to the first public update: how long people waited to hear anything. */
  meanFirstUpdateMs: number | null;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? null) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

export function resolutionFigures(incidents: Incident[]): ResolutionFigures {
  const own = incidents.filter((i) => i.kind === 'incident');
  const resolveTimes = own.filter((i) => i.resolved_at).map((i) => Date.parse(i.resolved_at ?? '') - Date.parse(i.started_at));
  const firstUpdate = own
    .map((i) => {
      const first = i.incident_updates.at(-1);
      return first ? Math.max(0, Date.parse(first.created_at) - Date.parse(i.started_at)) : undefined;
    })
    .filter((x): x is number => x !== undefined);
  return {
    count: own.length,
    resolved: resolveTimes.length,
    meanResolveMs: mean(resolveTimes),
    medianResolveMs: median(resolveTimes),
    meanFirstUpdateMs: mean(firstUpdate),
  };
}

/** Figures for incidents that started in the last `days` days. */
export function recentFigures(db: Db, now: Date, days: number): ResolutionFigures {
  return resolutionFigures(listStartedBetween(db, new Date(now.getTime() - days * 86_400_000).toISOString(), now.toISOString()));
}
