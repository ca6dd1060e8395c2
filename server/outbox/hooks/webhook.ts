import { createHmac } from 'node:crypto';
import type { CoreContext as Context } from '../../context.js';
import { findIncident, type Incident } from '../../domain/incidents/queries.js';
import { findComponent, statusChange } from '../../domain/page/components.js';
import type { Endpoint } from '../../domain/subscribers/endpoints.js';
import type { Delivery } from '../../domain/subscribers/outbox.js';
import { endpointToken } from '../../domain/subscribers/tokens.js';
import { incidentShape, maintenanceShape, pagePositions } from '../../snapshot/shapes.js';

/**
 * Statuspage's webhook payloads, field for field, so that receivers written for Statuspage (Zulip's
 * integration, Instatus-compatible tools) parse them: `meta` and `page`, then `incident` (maintenance
 * windows too, in the same shape with their window) or `component` with its `component_update`.
 */
export function webhookBody(ctx: Context, row: Delivery, endpoint: Endpoint): { body: string } | { skip: string } {
  const state = ctx.snapshot.current().state;
  const meta = {
    unsubscribe: `${ctx.config.publicUrl}/webhooks/unsubscribe/${endpointToken(ctx.secret, endpoint.id)}`,
    documentation: `${ctx.config.publicUrl}/webhooks`,
    generated_at: ctx.clock.now().toISOString(),
  };
  const page = { id: ctx.pageId, status_indicator: state.status.indicator, status_description: state.status.description };
  const positions = pagePositions(state.layout);
  if (row.kind === 'incident_update' || row.kind === 'maintenance_reminder') {
    const incident = findIncident(ctx.db, row.thread_id ?? row.subject_id);
    if (!incident) return { skip: 'The incident was deleted before the webhook was sent' };
    const asOf = row.kind === 'incident_update' ? asOfUpdate(incident, row.subject_id) : incident;
    if (!asOf) return { skip: 'The update was deleted before the webhook was sent' };
    const shape =
      asOf.kind === 'maintenance'
        ? maintenanceShape(asOf, ctx.pageId, ctx.config.publicUrl, positions)
        : incidentShape(asOf, ctx.pageId, ctx.config.publicUrl, positions);
    return { body: JSON.stringify({ meta, page, incident: { ...shape, impact_override: asOf.impact_override } }) };
  }
  if (row.kind === 'component_update') {
    const change = statusChange(ctx.db, Number(row.subject_id));
    const component = change && findComponent(ctx.db, change.componentId);
    if (!change || !component) return { skip: 'The component was deleted before the webhook was sent' };
    return {
      body: JSON.stringify({
        meta,
        page,
        component: {
          status: change.status,
          name: component.name,
          created_at: component.created_at,
          updated_at: change.at,
          position: positions.get(component.id) ?? 0,
          description: component.description || null,
          showcase: component.showcase,
          id: component.id,
          page_id: ctx.pageId,
          group_id: component.group_id,
        },
        component_update: {
          old_status: change.old,
          new_status: change.status,
          created_at: change.at,
          component_type: 'Component',
          id: row.subject_id,
          component_id: component.id,
        },
      }),
    };
  }
  if (row.kind === 'endpoint_test')
    return { body: JSON.stringify({ meta, page, test: { message: 'A test delivery from Pharos', created_at: meta.generated_at } }) };
  return { skip: `Webhooks do not carry ${row.kind} messages` };
}

/**
 * The incident as it was when this update was posted: its updates up to it, its status, the times it
 * had reached then, and the statuses this update gave its components. (Its name and impact are today's:
 * they are not kept per update.) A retry sends the same incident as the first attempt.
 */
function asOfUpdate(incident: Incident, updateId: string): Incident | undefined {
  const update = incident.incident_updates.find((u) => u.id === updateId);
  if (!update) return undefined;
  const at = update.created_at;
  const updates = incident.incident_updates.filter((u) => u.created_at <= at);
  const set = new Map(update.affected_components.map((c) => [c.code, c.new_status]));
  return {
    ...incident,
    status: update.status,
    updated_at: at,
    monitoring_at: incident.monitoring_at && incident.monitoring_at <= at ? incident.monitoring_at : null,
    resolved_at: incident.resolved_at && incident.resolved_at <= at ? incident.resolved_at : null,
    incident_updates: updates,
    components: incident.components.map((c) => ({ ...c, status: set.get(c.id) ?? c.status })),
  };
}

/** X-Pharos-Signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (Stripe's scheme). */
export function signature(secret: string, body: string, now: Date): string {
  const t = Math.floor(now.getTime() / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}
