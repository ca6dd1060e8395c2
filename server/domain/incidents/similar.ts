import type { Db } from '../../db/open.js';
import { openedSince, type OpenedIncident } from './queries.js';

/** How long after an incident is opened a new one of a similar name is asked about before it is posted. */
export const SIMILAR_WINDOW_MINUTES = 10;

// Words that say nothing of which problem a name is about.
const FILLER = new Set(['a', 'an', 'the', 'in', 'on', 'of', 'for', 'to', 'and', 'or', 'with', 'is', 'are', 'our', 'some', 'all']);

/** A name's words: lower case, any script, punctuation dropped, a final "s" folded ("errors" is "error"). */
function wordsOf(name: string): string[] {
  const all = (
    name
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  ).map((w) => (w.length > 3 && w.endsWith('s') ? w.slice(0, -1) : w));
  const meaningful = all.filter((w) => !FILLER.has(w));
  return meaningful.length ? meaningful : all;
}

/** Sørensen–Dice over character pairs: 1 for the same text, near 1 for a typo or a changed ending. */
function dice(a: string, b: string): number {
  if (a.length < 2 || b.length < 2) return a === b ? 1 : 0;
  const pairs = new Map<string, number>();
  for (let i = 0; i < a.length - 1; i++) {
    const pair = a.slice(i, i + 2);
    pairs.set(pair, (pairs.get(pair) ?? 0) + 1);
  }
  let shared = 0;
  for (let i = 0; i < b.length - 1; i++) {
    const pair = b.slice(i, i + 2);
    const left = pairs.get(pair) ?? 0;
    if (left > 0) {
      pairs.set(pair, left - 1);
      shared++;
    }
  }
  return (2 * shared) / (a.length - 1 + b.length - 1);
}

/**
 * Whether two incident names likely speak of one problem: the same words, every word of one in the other
 * ("Payments failing" and "Payments failing in the EU"), or nearly the same letters ("Payment failing").
 * Asking costs the operator one click; a second incident costs every subscriber a second mail.
 */
export function similarNames(a: string, b: string): boolean {
  const wa = wordsOf(a);
  const wb = wordsOf(b);
  if (wa.length === 0 || wb.length === 0) return false;
  const [short, long] = wa.length <= wb.length ? [wa, wb] : [wb, wa];
  const longWords = new Set(long);
  if (short.every((w) => longWords.has(w))) return true;
  return dice(wa.join(' '), wb.join(' ')) >= 0.8;
}

export interface SimilarIncident extends OpenedIncident {
  /** Whole minutes since it was opened (0 in its first minute). */
  minutesAgo: number;
}

/** The incidents opened in the last SIMILAR_WINDOW_MINUTES whose names are like `name`, the newest first. */
export function similarRecentIncidents(db: Db, name: string, now: Date): SimilarIncident[] {
  const since = new Date(now.getTime() - SIMILAR_WINDOW_MINUTES * 60_000).toISOString();
  return openedSince(db, since)
    .filter((incident) => similarNames(incident.name, name))
    .map((incident) => ({ ...incident, minutesAgo: Math.max(0, Math.floor((now.getTime() - Date.parse(incident.created_at)) / 60_000)) }));
}
