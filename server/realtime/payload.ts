import { REGIONS, type LiveState, type PageUpdate, type Region } from '../snapshot/snapshot.js';

/**
 * What a connecting viewer is sent: the regions whose hash differs from the ones its page has (all of
 * them for a client that names none). A page loaded a moment ago, or one reconnecting after a restart
 * with nothing changed, gets no HTML at all.
 */
export function forViewer(live: LiveState, auth: unknown): PageUpdate {
  const known = knownHashes(auth);
  const html: Partial<Record<Region, string>> = {};
  for (const region of REGIONS) if (known[region] !== live.hashes[region]) html[region] = live.html[region];
  return { version: live.version, title: live.title, status: live.status, html, hashes: live.hashes };
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
