import { SIMILAR_WINDOW_MINUTES, type SimilarIncident } from '../../domain/incidents/similar.js';

/** The field "Post this incident anyway" sends: the ids of the similar incidents the operator was shown. */
const POST_ANYWAY = 'post_anyway';

/** The similar incidents the operator has not already been shown and chosen to post beside. */
export function unacknowledged(similar: SimilarIncident[], body: Record<string, string | string[]>): SimilarIncident[] {
  const sent = body[POST_ANYWAY];
  const acknowledged = new Set((Array.isArray(sent) ? sent : [sent ?? '']).flatMap((v) => v.split(/\s+/)));
  return similar.filter((incident) => !acknowledged.has(incident.id));
}

const ago = (minutes: number) => (minutes < 1 ? 'less than a minute ago' : minutes === 1 ? '1 minute ago' : `${minutes} minutes ago`);

/** What the new-incident form's question shows (views/admin/incident-new.hbs): the newest first, then the others. */
export function similarChoice(similar: SimilarIncident[]) {
  const [first, ...others] = similar.map((incident) => ({ id: incident.id, name: incident.name, ago: ago(incident.minutesAgo) }));
  return { first, others, window: SIMILAR_WINDOW_MINUTES, ids: similar.map((incident) => incident.id).join(' ') };
}
