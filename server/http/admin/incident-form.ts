import type { Context } from '../../context.js';
import { pageLayout } from '../../domain/page/order.js';
import type { Component } from '../../domain/page/components.js';
import { COMPONENT_STATUSES, COMPONENT_STATUS_LABELS, IMPACTS, IMPACT_LABELS, INCIDENT_STATUSES, INCIDENT_STATUS_LABELS } from '../../domain/page/status.js';
import { Invalid } from '../../errors.js';
import { fromZonedInput, toZonedInput } from '../../lib/time.js';
import { field } from '../respond.js';
import { pageZone } from '../../domain/page/time-zone.js';

type Values = Record<string, string | string[]>;
const COMPONENT_FIELD = 'components.';

export interface ComponentRow {
  id: string;
  name: string;
  group: string | undefined;
  status: string;
  field: string;
  chosen: string;
  affected: boolean;
}

/** One row per component for the incident forms, with what was chosen (or typed before an error). */
export function componentRows(ctx: Context, values: Values, affected: Component[] = []): ComponentRow[] {
  const affectedIds = new Set(affected.map((c) => c.id));
  return pageLayout(ctx.db).flatMap((item) => {
    const members = item.kind === 'group' ? item.components : [item.component];
    return members.map((c) => ({
      id: c.id,
      name: c.name,
      group: item.kind === 'group' ? item.group.name : undefined,
      status: c.status,
      field: COMPONENT_FIELD + c.id,
      chosen: field(values, COMPONENT_FIELD + c.id) ?? '',
      affected: affectedIds.has(c.id),
    }));
  });
}

const options = <T extends string>(values: readonly T[], labels: Record<T, string>) => values.map((value) => ({ value, label: labels[value] }));

/** The choices every incident form offers. */
export const incidentChoices = {
  statuses: options(INCIDENT_STATUSES, INCIDENT_STATUS_LABELS),
  impacts: options(IMPACTS, IMPACT_LABELS),
  componentStatuses: options(COMPONENT_STATUSES, COMPONENT_STATUS_LABELS),
};

/** Turns the admin form's flat fields into the domain's input: `components.<id>` selects, a checkbox, a local time. */
export function incidentFormInput(
  ctx: Context,
  body: Values,
  parts: { incident?: boolean; update?: boolean; originalStart?: string },
): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  if (parts.incident) {
    input.name = field(body, 'name') ?? '';
    input.impact_override = field(body, 'impact_override') ?? '';
    const started = field(body, 'started_at')?.trim();
    // The edit form shows the start to the minute; sent back unchanged, it must not move the start.
    const unchanged = parts.originalStart !== undefined && started === toZonedInput(parts.originalStart, pageZone(ctx));
    if (started && !unchanged) {
      const at = fromZonedInput(started, pageZone(ctx));
      if (!at) throw new Invalid({ started_at: 'Enter a date and time, such as 2026-11-30T14:05' });
      if (at.getTime() > ctx.clock.now().getTime() + 5 * 60_000) throw new Invalid({ started_at: 'The start cannot be in the future' });
      input.started_at = at.toISOString();
    }
  }
  if (parts.update) {
    const status = field(body, 'status');
    if (status !== undefined) input.status = status;
    input.body = field(body, 'body') ?? '';
    input.deliver_notifications = field(body, 'deliver_notifications') === 'on';
    const components: Record<string, string> = {};
    for (const [key, value] of Object.entries(body)) {
      if (!key.startsWith(COMPONENT_FIELD)) continue;
      const chosen = Array.isArray(value) ? value[value.length - 1] : value;
      if (chosen) components[key.slice(COMPONENT_FIELD.length)] = chosen;
    }
    input.components = components;
    // Components listed as affected without a status of their own (a template's, on the new-incident form).
    const linked = body.component_ids;
    if (linked !== undefined) input.component_ids = (Array.isArray(linked) ? linked : [linked]).filter(Boolean);
  }
  return input;
}
