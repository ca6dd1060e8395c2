import { io as connect, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../server/realtime/types.js';
import { REGIONS, type PageUpdate, type Region } from '../../server/snapshot/snapshot.js';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

/** What a viewer's page shows after an event: every region's HTML as public/js/status.js composes it. */
export interface View {
  version: number;
  title: string;
  status: PageUpdate['status'];
  html: Record<Region, string>;
  /** The event itself, as sent. */
  update: PageUpdate;
}

/** Replaces the row `<li … id="component-ID">…</li>` (with its nested bars); undefined when the page has no such row. */
function replaceRow(components: string, id: string, row: string): string | undefined {
  const at = components.indexOf(`id="component-${id}"`);
  if (at === -1) return undefined;
  const start = components.lastIndexOf('<li', at);
  let depth = 0;
  const tag = /<li[\s>]|<\/li>/g;
  tag.lastIndex = start;
  for (let m = tag.exec(components); m; m = tag.exec(components)) {
    depth += m[0] === '</li>' ? -1 : 1;
    if (depth === 0) return components.slice(0, start) + row + components.slice(m.index + m[0].length);
  }
  throw new Error(`unbalanced row for component ${id}`);
}

/**
 * A socket.io viewer of the status page that behaves like the page's script (public/js/status.js): it
 * tells the server which regions it has on every (re)connection, replaces the regions whose hash it
 * lacks, patches rows only into the version of the region they were computed from (else it reconnects
 * to ask again), and records each resulting view.
 */
export function viewer(url: string, transports: ('websocket' | 'polling')[] = ['websocket']) {
  const html = Object.fromEntries(REGIONS.map((r) => [r, ''])) as Record<Region, string>;
  const hashes: Partial<Record<Region, string>> = {};
  const socket: Client = connect(url, {
    transports,
    reconnectionDelay: 50,
    reconnectionDelayMax: 200,
    forceNew: true,
    auth: (send) => send({ v: 2, hashes }),
  });
  const received: View[] = [];
  /** How many times the page found itself out of step and asked again (as the page's script does). */
  let resyncs = 0;
  const waiters: { test: (u: View) => boolean; resolve: (u: View) => void }[] = [];
  socket.on('page', (update) => {
    for (const region of REGIONS) {
      const fragment = update.html[region];
      if (typeof fragment !== 'string' || hashes[region] === update.hashes[region]) continue;
      html[region] = fragment;
      hashes[region] = update.hashes[region];
    }
    if (update.rows) {
      let components: string | undefined = hashes.components === update.base ? html.components : undefined;
      for (const [id, row] of Object.entries(update.rows)) components = components === undefined ? undefined : replaceRow(components, id, row);
      if (components === undefined) {
        resyncs++;
        socket.disconnect().connect();
        return;
      }
      html.components = components;
      hashes.components = update.hashes.components;
    }
    const view: View = { version: update.version, title: update.title, status: update.status, html: { ...html }, update };
    received.push(view);
    for (const w of [...waiters]) {
      if (w.test(view)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(view);
      }
    }
  });
  const next = (test: (u: View) => boolean, ms = 3000) =>
    new Promise<View>((resolve, reject) => {
      const found = received.find(test);
      if (found) return resolve(found);
      const timer = setTimeout(() => reject(new Error(`no matching page event within ${ms} ms; got ${received.length}`)), ms);
      waiters.push({ test, resolve: (u) => (clearTimeout(timer), resolve(u)) });
    });
  return { socket, received, next, resyncs: () => resyncs };
}
