/**
 * The shapes of the public documents, in one place: what a read model may hold (the keys documents.ts's
 * documentKey() makes), hence the only keys an edge accepts from Redis (cluster/replication), and the
 * paths that belong to the public documents, whose miss (an unknown incident, a history page past the
 * last) is answered from the read model rather than by rendering anything (fast-path.ts).
 */

/** Ids are ours (lib/ids.ts: 12 characters of [a-z0-9]); older or imported ones stay within this. */
const ID = '[a-z0-9]{1,32}';

/** The documents that exist at one fixed path. */
const FIXED: ReadonlySet<string> = new Set([
  '/',
  '/api/v2/summary.json',
  '/api/v2/status.json',
  '/api/v2/components.json',
  '/api/v2/incidents.json',
  '/api/v2/incidents/unresolved.json',
  '/api/v2/scheduled-maintenances.json',
  '/api/v2/scheduled-maintenances/upcoming.json',
  '/api/v2/scheduled-maintenances/active.json',
  '/brand.css',
  '/brand/logo',
  '/history',
  '/history.atom',
  '/history.rss',
  '/badge.svg',
  '/maintenance.ics',
  '/notices',
  '/subscribe',
  '/embed/script.js',
  '/embed/frame',
  '/embed/colours.css',
  '/webhooks',
]);

/** Documents one per incident, maintenance window or notice. */
const PER_ITEM = new RegExp(`^/(?:incidents/${ID}(?:\\.ics)?|notices/${ID})$`);

/** The keys that carry a query: a history page past the first, a component's feeds and badge. */
const WITH_QUERY = new RegExp(`^(?:/history\\?page=[1-9][0-9]{0,5}|/(?:history\\.atom|history\\.rss|badge\\.svg)\\?component=${ID})$`);

/**
 * What the read model answers, with a 404, for a document it does not hold (an unknown or deleted
 * incident or notice, a history page past the last, a component's feed or badge that does not exist):
 * one body of each type, made with the others. Their keys start with no "/": no request names one.
 */
export const NOT_FOUND = {
  page: '404:page',
  json: '404:json',
  atom: '404:atom',
  rss: '404:rss',
  badge: '404:badge',
  calendar: '404:calendar',
} as const;
const NOT_FOUND_KEYS: ReadonlySet<string> = new Set(Object.values(NOT_FOUND));

/** Whether `key` is the key of a public document (what a read model may hold and an edge may serve). */
export function isDocumentKey(key: string): boolean {
  return FIXED.has(key) || PER_ITEM.test(key) || WITH_QUERY.test(key) || NOT_FOUND_KEYS.has(key);
}

/** Paths one per item, well-formed or not: anything else there is no document either. */
const ITEM_PATH = /^\/(?:incidents|notices)\/[^/]+$/;

/**
 * Whether a request's path (without its query) is one of the public documents' paths, found or not:
 * such a path is always answered from the read model, a miss included (notFoundKey), so that no
 * made-up URL costs more than a document does, on the primary or on an edge. Every GET under /api/v2/
 * is one: the public API has nothing else to GET.
 */
export function isDocumentPath(path: string): boolean {
  return FIXED.has(path) || ITEM_PATH.test(path) || path.startsWith('/api/v2/');
}

/** Which not-found document answers a miss at `path` (a document path): the type its documents have. */
export function notFoundKey(path: string): string {
  if (path.startsWith('/api/v2/')) return NOT_FOUND.json;
  if (path.endsWith('.atom')) return NOT_FOUND.atom;
  if (path.endsWith('.rss')) return NOT_FOUND.rss;
  if (path === '/badge.svg') return NOT_FOUND.badge;
  if (path.endsWith('.ics')) return NOT_FOUND.calendar;
  return NOT_FOUND.page;
}
