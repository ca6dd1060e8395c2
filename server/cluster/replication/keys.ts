import type { Redis } from 'ioredis';
import { ConfigError } from '../../config.js';

/**
 * Where a page's public read model lives in Redis. Every key names the page (its id from the primary's
 * database), so two primaries with different data on one Redis never mix; the braces are a Redis Cluster
 * hash tag, keeping a page's keys in one slot for the publishing script.
 */
export interface PageKeys {
  /** Hash: "doc:<path>" → one document (format.ts), "live" → the live state, "version", "epoch". */
  state: string;
  /** Stream: one entry per publication, carrying what changed (or telling edges to re-read the hash). */
  changes: string;
  /** The lease of the one primary that publishes this page: "<host>:<data dir>" of its holder. */
  lease: string;
}

/** Set of the page ids published on this Redis: an edge without PAGE_ID serves the only one. */
export const PAGES_KEY = 'pharos:pages';

export function pageKeys(pageId: string): PageKeys {
  const base = `pharos:{${pageId}}`;
  return { state: `${base}:state`, changes: `${base}:changes`, lease: `${base}:primary` };
}

/** A document's field in the state hash and in a stream entry. */
export const DOC_FIELD = 'doc:';
export const docField = (key: string) => DOC_FIELD + key;

/**
 * The page an edge without PAGE_ID serves: the one page this Redis holds, or of several the only one
 * whose primary holds its lease; undefined while there is none. Throws ConfigError when it cannot tell.
 */
export async function findPage(redis: Redis): Promise<string | undefined> {
  const pages = (await redis.smembers(PAGES_KEY)).sort();
  if (pages.length <= 1) return pages[0];
  const leased: string[] = [];
  for (const page of pages) if (await redis.exists(pageKeys(page).lease)) leased.push(page);
  if (leased.length === 1) return leased[0];
  throw new ConfigError('PAGE_ID', `must name the page this edge serves: Redis holds ${pages.length} pages (${pages.join(', ')})`);
}
