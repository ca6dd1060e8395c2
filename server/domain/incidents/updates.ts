import type { Deps } from '../../context.js';
import { parseInput } from '../../lib/validate.js';
import type { Actor } from '../access/actors.js';
import { patchMaintenance } from './maintenance.js';
import { getIncident, type Incident } from './queries.js';
import { incidentPatchInput, maintenancePatchInput, type UpdateInput } from './schemas.js';
import { patchIncident } from './writes.js';

/**
 * Posts an update (a status, a message, components; for maintenance, a moved window) to an incident or
 * a maintenance window, whichever `id` is: the one place that tells the two apart for the admin form
 * and the management API. Each kind's schema takes what is its own.
 */
export function postUpdate(ctx: Deps<'bus' | 'clock' | 'config' | 'db'>, actor: Actor, id: string, given: UpdateInput): Incident {
  return getIncident(ctx.db, id).kind === 'maintenance'
    ? patchMaintenance(ctx, actor, id, parseInput(maintenancePatchInput, given))
    : patchIncident(ctx, actor, id, parseInput(incidentPatchInput, given));
}
