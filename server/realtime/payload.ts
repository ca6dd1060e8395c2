import { REGIONS, type LiveState, type PageUpdate, type Region } from '../snapshot/snapshot.js';

/**
 * What a connecting viewer is sent: the regions whose hash differs from the ones its page has (all of
 * them for a client that names none). A page loaded a moment ago, or one reconnecting after a restart
 * with nothing changed, gets no HTML at all. A page whose components region differs only in rows (the
 * same layout: during an outage, today's minutes move on) is sent only the rows it lacks, with its own
 * region's hash as `base`, when it names the hash of each row it has (in the page's order): after a
 * restart during an incident every viewer would otherwise get the whole region again.
 */
export function forViewer(live: LiveState, auth: unknown): PageUpdate {
  const known = knownHashes(auth);
  const html: Partial<Record<Region, string>> = {};
  let rows: Record<string, string> | undefined;
  for (const region of REGIONS) {
    if (known[region] === live.hashes[region]) continue;
    if (region === 'components' && known.components !== undefined) {
      rows = rowsLacking(live, auth);
      if (rows) continue;
    }
    html[region] = live.html[region];
  }
  return { version: live.version, title: live.title, status: live.status, html, ...(rows ? { rows, base: known.components } : {}), hashes: live.hashes };
}

/** Characters of each row's hash a reconnecting page sends: 300 rows in 2,400 bytes, under the 4 KB a message may hold. */
export const ROW_HASH_CHARS = 8;

/** The components region's layout and its rows' ids and hashes in order, as a page holding it has them. */
interface RowsShown {
  layout: string | undefined;
  ids: string[];
  hashes: string;
}
const shownOf = new WeakMap<LiveState, RowsShown>();

function rowsShown(live: LiveState): RowsShown {
  let shown = shownOf.get(live);
  if (!shown) {
    const region = live.html.components;
    const rows = [...region.matchAll(/id="component-([^"]+)" data-hash="([^"]+)"/g)];
    shown = {
      layout: /data-layout="([^"]+)"/.exec(region)?.[1],
      ids: rows.map((m) => m[1] ?? ''),
      hashes: rows.map((m) => (m[2] ?? '').slice(0, ROW_HASH_CHARS)).join(''),
    };
    shownOf.set(live, shown);
  }
  return shown;
}

/** The rows a page lacks, when it says (auth.layout, auth.rows) it shows this layout; else undefined (send the region). */
function rowsLacking(live: LiveState, auth: unknown): Record<string, string> | undefined {
  if (!patchesRows(auth) || !auth || typeof auth !== 'object' || !('layout' in auth) || !('rows' in auth)) return undefined;
  const shown = rowsShown(live);
  const { layout, rows } = auth;
  if (!shown.layout || layout !== shown.layout || typeof rows !== 'string' || rows.length !== shown.hashes.length) return undefined;
  const lacking: Record<string, string> = {};
  shown.ids.forEach((id, i) => {
    const at = i * ROW_HASH_CHARS;
    if (rows.slice(at, at + ROW_HASH_CHARS) !== shown.hashes.slice(at, at + ROW_HASH_CHARS)) lacking[id] = live.rows[id] ?? '';
  });
  // The region differs, yet no row does: something outside the rows changed; the region is sent whole.
  return Object.keys(lacking).length ? lacking : undefined;
}

/**
 * What every viewer is sent after a change: the regions that changed, and of the components region only
 * the rows that changed when its layout did not (a status change of one component sends one row), with
 * the region's previous hash as `base`: a page that does not have that version must not patch rows into
 * it. `rows: false` for clients that only replace whole regions (a page's script from before rows).
 * Null when nothing a viewer sees changed.
 */
export function changesBetween(prev: LiveState | undefined, next: LiveState, opts: { rows: boolean } = { rows: true }): PageUpdate | null {
  if (!prev) return forViewer(next, undefined);
  const html: Partial<Record<Region, string>> = {};
  let rows: Record<string, string> | undefined;
  for (const region of REGIONS) {
    if (prev.hashes[region] === next.hashes[region]) continue;
    if (region === 'components' && opts.rows && prev.layoutKey === next.layoutKey) {
      rows = {};
      for (const [id, row] of Object.entries(next.rows)) if (prev.rows[id] !== row) rows[id] = row;
    } else html[region] = next.html[region];
  }
  if (!rows && Object.keys(html).length === 0 && prev.title === next.title && prev.status.indicator === next.status.indicator) return null;
  return { version: next.version, title: next.title, status: next.status, html, ...(rows ? { rows, base: prev.hashes.components } : {}), hashes: next.hashes };
}

/** Whether a client patches rows (its handshake says protocol 2, as public/js/status.js does). */
export function patchesRows(auth: unknown): boolean {
  return Boolean(auth && typeof auth === 'object' && 'v' in auth && auth.v === 2);
}

/** The hashes a client says its page has (socket.io's handshake auth: untrusted, anything may come). */
function knownHashes(auth: unknown): Partial<Record<Region, string>> {
  const hashes = auth && typeof auth === 'object' && 'hashes' in auth ? auth.hashes : undefined;
  if (!hashes || typeof hashes !== 'object') return {};
  const known: Partial<Record<Region, string>> = {};
  for (const region of REGIONS) {
    const value: unknown = (hashes as Record<string, unknown>)[region];
    if (typeof value === 'string' && value.length <= 64) known[region] = value;
  }
  return known;
}
