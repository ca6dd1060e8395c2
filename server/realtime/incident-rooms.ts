import type { Body } from '../snapshot/body.js';
import type { Io } from './types.js';

/** What a viewer of an incident's page is sent: the page's live region, when its hash differs from the viewer's. */
export interface IncidentUpdate {
  version: number;
  id: string;
  title: string;
  /** Absent when the viewer already has this version of the region. */
  html?: string;
  hash: string;
}

const OPEN = '<div id="incident" data-incident="';
const CLOSE = '</div><!-- /incident -->';
const ID = /^[a-z0-9]{1,32}$/;

/** The room of one incident's page: its viewers only, never the status page's. */
export const incidentRoom = (id: string) => `incident:${id}`;

/**
 * The live region of an incident's page as served (views/public/incident.hbs): its hash and HTML, read
 * from the very document a GET returns, so the primary and every edge (whose read model holds the same
 * bodies) send the same thing, and the read model needs no second copy of it.
 */
export function incidentFragment(bodies: Map<string, Body>, id: string): { html: string; hash: string; title: string } | undefined {
  const page = bodies.get(`/incidents/${id}`)?.bytes.toString('utf8');
  if (!page) return undefined;
  const at = page.indexOf(OPEN);
  const hashAt = page.indexOf('data-hash="', at);
  const open = page.indexOf('">', hashAt);
  const close = page.indexOf(CLOSE, open);
  if (at < 0 || hashAt < 0 || open < 0 || close < 0) return undefined;
  const title = /<title>([^<]*)<\/title>/.exec(page)?.[1] ?? '';
  return { hash: page.slice(hashAt + 'data-hash="'.length, open), html: page.slice(open + 2, close), title: decodeEntities(title) };
}

/** The few entities Handlebars writes into a title, back to text (document.title takes text). */
function decodeEntities(text: string): string {
  return text.replace(
    /&(lt|gt|quot|#x27|#x60|#x3D|amp);/g,
    (_, e: string) => ({ lt: '<', gt: '>', quot: '"', '#x27': "'", '#x60': '`', '#x3D': '=', amp: '&' })[e] ?? '',
  );
}

/** The incident a client's handshake asks for (untrusted: anything may come), if it names one well-formed. */
export function askedIncident(auth: unknown): { id: string; hash?: string } | undefined {
  if (!auth || typeof auth !== 'object' || !('incident' in auth) || typeof auth.incident !== 'string' || !ID.test(auth.incident)) return undefined;
  const hashes = 'hashes' in auth && auth.hashes && typeof auth.hashes === 'object' ? (auth.hashes as Record<string, unknown>) : {};
  const hash = typeof hashes.incident === 'string' && hashes.incident.length <= 64 ? hashes.incident : undefined;
  return { id: auth.incident, hash };
}

/**
 * The incident pages' viewers: on a new state, each incident page with viewers whose live region changed
 * is sent to its room, once. The rooms with viewers are tracked as they appear and go (socket.io's
 * adapter events), so a change costs nothing for the status page's viewers, however many. An incident
 * deleted leaves its viewers with what they have.
 */
export function incidentBroadcaster(io: Io) {
  /** Incident id → the hash its room was last sent (or had when its first viewer joined). */
  const sent = new Map<string, string | undefined>();
  const adapter = io.of('/').adapter;
  adapter.on('create-room', (room: string) => {
    if (room.startsWith('incident:')) sent.set(room.slice('incident:'.length), undefined);
  });
  adapter.on('delete-room', (room: string) => {
    if (room.startsWith('incident:')) sent.delete(room.slice('incident:'.length));
  });
  /** A viewer was sent `hash` on joining: the first of a room needs no broadcast of that same state. */
  const joined = (id: string, hash: string) => {
    if (sent.get(id) === undefined) sent.set(id, hash);
  };
  const broadcast = (state: { version: number; bodies: Map<string, Body> }) => {
    for (const [id, last] of sent) {
      const fragment = incidentFragment(state.bodies, id);
      if (!fragment || last === fragment.hash) continue;
      sent.set(id, fragment.hash);
      io.to(incidentRoom(id)).emit('incident', { version: state.version, id, ...fragment });
    }
  };
  return { joined, broadcast };
}
