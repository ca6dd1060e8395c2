import { z } from 'zod';
import { componentStatus } from '../page/components.js';
import { IMPACTS, INCIDENT_STATUSES, MAINTENANCE_STATUSES } from '../page/status.js';
import { enumOf, flag, isoTime, longText, nameText } from '../../lib/validate.js';

/** What an incident, an update and a maintenance window may be given: parsed at the edge, typed inside. */

const BODY_MAX = 20_000;

// Keys are checked as ids before use, so that "__proto__" and the like are refused rather than dropped.
const componentId = z.string().regex(/^[a-z0-9]{1,64}$/, 'No such component');
const componentMap = z.record(componentId, componentStatus, { invalid_type_error: 'Must be an object of component id → status' }).default({});
const componentIds = z
  .array(z.string({ invalid_type_error: 'Must be component ids' }), { invalid_type_error: 'Must be a list of component ids' })
  .max(500)
  .default([]);
const impactOverride = z.preprocess((v) => (v === '' ? null : v), enumOf(IMPACTS, 'Impact override').nullable()).optional();

export const newIncidentInput = z.object({
  name: nameText(200),
  status: enumOf(INCIDENT_STATUSES, 'Status').default('investigating'),
  impact_override: impactOverride,
  body: longText(BODY_MAX).default(''),
  components: componentMap,
  component_ids: componentIds,
  deliver_notifications: flag.default(true),
  started_at: isoTime.optional(),
});
export type NewIncident = z.input<typeof newIncidentInput>;

/** Edits (name, impact override, start) and/or a new update (status, body, components), in one change. */
export const incidentPatchInput = z.object({
  name: nameText(200).optional(),
  impact_override: impactOverride,
  started_at: isoTime.optional(),
  status: enumOf(INCIDENT_STATUSES, 'Status').optional(),
  body: longText(BODY_MAX).optional(),
  components: componentMap.optional(),
  component_ids: componentIds.optional(),
  deliver_notifications: flag.default(true),
});
export type IncidentPatch = z.input<typeof incidentPatchInput>;

/** An update edited afterwards: its text, when it is shown as posted, whether it was to be notified (recorded; an edit sends nothing). */
export const updateEditInput = z.object({ body: longText(BODY_MAX).optional(), display_at: isoTime.optional(), deliver_notifications: flag.optional() });
export type UpdateEdit = z.input<typeof updateEditInput>;

/** Statuspage sends its reminder an hour before; ours is configurable per window, in minutes. */
export const DEFAULT_REMIND_PRIOR_MINUTES = 60;

/** Statuspage's boolean, or a number of minutes. */
const remindPrior = z
  .union(
    [
      z.boolean(),
      z
        .number()
        .int()
        .min(0)
        .max(7 * 24 * 60),
    ],
    { errorMap: () => ({ message: 'Must be true, false or minutes from 0 to 10080' }) },
  )
  .transform((v) => (v === true ? DEFAULT_REMIND_PRIOR_MINUTES : v === false ? 0 : v));

const windowComponentIds = z.array(z.string().regex(/^[a-z0-9]{1,64}$/, 'No such component')).max(500);

const windowFields = {
  scheduled_for: isoTime,
  scheduled_until: isoTime,
  scheduled_remind_prior: remindPrior.default(DEFAULT_REMIND_PRIOR_MINUTES),
  scheduled_auto_in_progress: flag.default(true),
  scheduled_auto_completed: flag.default(true),
  auto_transition_deliver_notifications_at_start: flag.default(true),
  auto_transition_deliver_notifications_at_end: flag.default(true),
};

export const maintenanceInput = z
  .object({
    name: nameText(200),
    body: longText(20_000).default(''),
    component_ids: windowComponentIds.default([]),
    // Statuspage's map form: the ids count, the statuses do not (they are under maintenance in the window).
    components: z.record(z.string(), componentStatus).default({}),
    deliver_notifications: flag.default(true),
    ...windowFields,
  })
  .superRefine((m, check) => {
    if (Date.parse(m.scheduled_until) <= Date.parse(m.scheduled_for)) {
      check.addIssue({ code: 'custom', path: ['scheduled_until'], message: 'The end must be after the start' });
    }
  });
export type NewMaintenance = z.input<typeof maintenanceInput>;

export const maintenancePatchInput = z.object({
  name: nameText(200).optional(),
  body: longText(20_000).optional(),
  status: enumOf(MAINTENANCE_STATUSES, 'Status').optional(),
  component_ids: windowComponentIds.optional(),
  deliver_notifications: flag.default(true),
  scheduled_for: isoTime.optional(),
  scheduled_until: isoTime.optional(),
  scheduled_remind_prior: remindPrior.optional(),
  scheduled_auto_in_progress: flag.optional(),
  scheduled_auto_completed: flag.optional(),
  auto_transition_deliver_notifications_at_start: flag.optional(),
  auto_transition_deliver_notifications_at_end: flag.optional(),
});
export type MaintenancePatch = z.input<typeof maintenancePatchInput>;

/**
 * What an update may carry, whichever its kind: the fields of both. The status is checked by the kind's
 * own schema once the incident is known (postUpdate in writes.ts), so that its message names that kind's
 * statuses.
 */
export const updateInput = incidentPatchInput
  .omit({ status: true })
  .merge(maintenancePatchInput.omit({ status: true }))
  .extend({ status: z.string({ invalid_type_error: 'Must be text' }).optional() });
export type UpdateInput = z.input<typeof updateInput>;
