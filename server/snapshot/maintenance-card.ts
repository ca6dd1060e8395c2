import type { Incident, IncidentUpdate } from '../domain/incidents/queries.js';
import { DEFAULT_UPDATE_BODIES } from '../domain/page/status.js';

/** A maintenance window as its card on the status page (and the embed) shows it: with the operator's latest words. */
export type MaintenanceCard = Incident & { message: IncidentUpdate | undefined };

/**
 * What a maintenance window's card says: the operator's latest words, not the sentence a window's
 * automatic start or a status change without a message stores ("Scheduled maintenance is currently in
 * progress..."), which the card's own status line already says. The latest update when none has words.
 */
function operatorWords(m: Pick<Incident, 'incident_updates'>): IncidentUpdate | undefined {
  return m.incident_updates.find((u) => u.body.trim() !== DEFAULT_UPDATE_BODIES[u.status]) ?? m.incident_updates[0];
}

export const maintenanceCard = (i: Incident): MaintenanceCard => ({ ...i, message: operatorWords(i) });
