import { ORIGIN } from '../../domain/page/embed.js';
import { frameCsp } from '../../snapshot/embed.js';
import { isDocumentKey } from '../../snapshot/public-paths.js';

/**
 * What an edge accepts from Redis, whoever signed it: only the keys of public documents
 * (snapshot/public-paths.ts), only the content types the snapshot makes, and only the headers it sets on
 * a document, each with a value of the shape it makes (snapshot/embed.ts, badges.ts, feeds.ts,
 * documents.ts). Nothing else reaches a browser on the page's origin (no Set-Cookie, no other CSP).
 * test/unit/cluster/replication-allow-list.test.ts checks every document a real snapshot builds against it.
 */

const TYPES: ReadonlySet<string> = new Set([
  'text/html; charset=utf-8',
  'application/json; charset=utf-8',
  'text/css; charset=utf-8',
  'text/javascript; charset=utf-8',
  'text/calendar; charset=utf-8',
  'application/atom+xml; charset=utf-8',
  'application/rss+xml; charset=utf-8',
  'image/svg+xml; charset=utf-8',
]);

/** The uploaded logo (domain/page/logo.ts: PNG, JPEG or WebP, recognised by its bytes), at its one key. */
const LOGO_KEY = '/brand/logo';
const LOGO_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/webp']);

const CALENDAR = /^\/incidents\/([a-z0-9]{1,32})\.ics$/;
const FRAME_ANCESTORS = / frame-ancestors ([^;]*)$/;

/** Why a header may not go with the document at `key`, or undefined when it may. */
function headerProblem(key: string, name: string, value: string): string | undefined {
  switch (name) {
    case 'Access-Control-Allow-Origin':
      return value === '*' ? undefined : 'must be *';
    case 'Cross-Origin-Resource-Policy':
      return value === 'cross-origin' ? undefined : 'must be cross-origin';
    case 'Content-Disposition': {
      const id = CALENDAR.exec(key)?.[1];
      if (!id) return 'only on a maintenance window calendar';
      return value === `attachment; filename="maintenance-${id}.ics"` ? undefined : 'not the calendar file name';
    }
    case 'Content-Security-Policy': {
      if (key !== '/embed/frame') return 'only on the embed frame';
      const ancestors = FRAME_ANCESTORS.exec(value)?.[1];
      if (ancestors === undefined) return 'not the embed frame policy';
      const origins = ancestors === '*' ? [] : ancestors.split(' ');
      if (!origins.every((o) => ORIGIN.test(o))) return 'frame-ancestors lists something that is not a site';
      return value === frameCsp(origins) ? undefined : 'not the embed frame policy';
    }
    default:
      return 'not a header the primary sets on a document';
  }
}

/** Why a document may not be served from Redis at `key`, or undefined when it may. */
export function refusal(key: string, type: string, headers: Record<string, string>): string | undefined {
  if (!isDocumentKey(key)) return 'not a public document';
  if (!TYPES.has(type) && !(key === LOGO_KEY && LOGO_TYPES.has(type))) return `content type ${type.slice(0, 80)} is not allowed here`;
  for (const [name, value] of Object.entries(headers)) {
    const problem = headerProblem(key, name, value);
    if (problem) return `header ${name.slice(0, 60)}: ${problem}`;
  }
  return undefined;
}
