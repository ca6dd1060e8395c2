import type { Context } from '../context.js';
import { authorName, type Actor } from '../domain/access/actors.js';
import { findAlertGroup, saveAlertGroup } from '../domain/incidents/alert-groups.js';
import { dropDraft, findDraft, holdsAlerts, saveDraft } from '../domain/incidents/alert-drafts.js';
import { findIncident, type Incident } from '../domain/incidents/queries.js';
import { createIncident, heldElsewhere, patchIncident } from '../domain/incidents/writes.js';
import { findComponent, listComponents } from '../domain/page/components.js';
import { isResolved, type ComponentStatus } from '../domain/page/status.js';
import { wanted } from './mapping.js';
import type { AlertNotice } from './payload.js';

export type Received = {
  result: 'opened' | 'updated' | 'unchanged' | 'resolved' | 'ignored' | 'held' | 'discarded';
  incident_id?: string;
  draft_id?: string;
};

/**
 * One notification of an alert group, applied to the page through the one write path, the group's row
 * in the same transaction. The first firing notification opens an incident; a later one that changes
 * the firing alerts, their severities or what they ask updates it (an identical repeat changes
 * nothing); the resolved one resolves it. An operator who took the incident over (posted an update or
 * renamed it) keeps its status and name: alerts still add their messages and set components. A resolved
 * alert returns to operational only the components it set and that nobody changed since, and never one
 * that another open incident holds.
 */
export function receiveAlerts(ctx: Context, actor: Actor, notice: AlertNotice): Received {
  const want = wanted(notice, listComponents(ctx.db));
  const group = findAlertGroup(ctx.db, notice.source, notice.groupKey);
  const open = group ? findIncident(ctx.db, group.incident_id) : undefined;
  const current = open && !isResolved(open.status) ? open : undefined;
  const now = () => ctx.clock.now().toISOString();
  // Written in the incident's own transaction; `expected` is the group as read above, so two processes
  // acting on one group at once cannot both win (the loser's change rolls back and the sender retries).
  // The name kept is the incident's as stored (trimmed), so a later comparison sees what was saved.
  const save = (incident: Incident, statuses: Record<string, ComponentStatus>, takenOver: boolean) =>
    saveAlertGroup(
      ctx.db,
      {
        source: notice.source,
        group_key: notice.groupKey,
        incident_id: incident.id,
        signature: want.signature,
        statuses,
        set_name: takenOver ? (group?.set_name ?? incident.name) : incident.name,
      },
      now(),
      group?.updated_at,
    );
  const firing = notice.status === 'firing' && notice.alerts.some((a) => a.status === 'firing');

  if (!current) {
    // A key that holds its alerts for approval opens a draft, which nothing public sees.
    const draft = findDraft(ctx.db, notice.source, notice.groupKey);
    if (draft || (actor.type === 'api_key' && holdsAlerts(ctx.db, actor.id))) {
      if (!firing) {
        if (draft) dropDraft(ctx, actor, draft.id, 'alert.draft_resolved');
        return { result: draft ? 'discarded' : 'ignored' };
      }
      if (draft?.signature === want.signature) return { result: 'unchanged', draft_id: draft.id };
      const held = saveDraft(ctx, actor, { source: notice.source, group_key: notice.groupKey, ...want });
      return { result: 'held', draft_id: held.id };
    }
    if (!firing) return { result: 'ignored' };
    // The same alerts again after an operator resolved their incident (a false alarm still firing, sent
    // again at Alertmanager's repeat interval): nothing new to say.
    if (group?.signature === want.signature) return { result: 'unchanged', ...(open ? { incident_id: open.id } : {}) };
    const incident = createIncident(
      ctx,
      actor,
      { name: want.name, status: 'investigating', body: want.body, components: want.components, deliver_notifications: want.notify },
      { alongside: (i) => save(i, want.components, false) },
    );
    return { result: 'opened', incident_id: incident.id };
  }
  if (firing && group?.signature === want.signature) return { result: 'unchanged', incident_id: current.id };

  const ours = authorName(actor);
  const takenOver = current.incident_updates.some((u) => u.author !== ours) || current.name !== group?.set_name;
  // A component someone changed since the alerts set it is theirs now.
  const theirs = (id: string) => {
    const set = group?.statuses[id];
    return set !== undefined && findComponent(ctx.db, id)?.status !== set;
  };
  const held = heldElsewhere(ctx.db, current.id);
  const released = (id: string) => !theirs(id) && !held.has(id);
  const components: Record<string, ComponentStatus> = {};
  for (const [id, status] of Object.entries(want.components)) if (!theirs(id)) components[id] = status;
  if (firing) {
    // Components the alerts no longer name go back to operational, unless someone else holds them.
    for (const id of Object.keys(group?.statuses ?? {})) if (!(id in want.components) && released(id)) components[id] = 'operational';
    const incident = patchIncident(
      ctx,
      actor,
      current.id,
      {
        ...(takenOver ? {} : { name: want.name }),
        body: want.body,
        components,
        deliver_notifications: want.notify,
      },
      (i) => save(i, { ...group?.statuses, ...components }, takenOver),
    );
    return { result: 'updated', incident_id: incident.id };
  }
  // Resolved: what the alerts set and nobody changed goes back to operational, unless another open
  // incident holds it; a component someone changed keeps its status. An incident an operator took over
  // stays open for them to resolve.
  const back: Record<string, ComponentStatus> = {};
  // Components an operator added to the incident are theirs: they keep their status.
  for (const id of current.components.map((c) => c.id)) {
    if (!(id in (group?.statuses ?? {}))) back[id] = findComponent(ctx.db, id)?.status ?? 'operational';
  }
  for (const id of Object.keys(group?.statuses ?? {})) {
    const c = findComponent(ctx.db, id);
    if (!c) continue;
    if (theirs(id) || (takenOver && held.has(id))) back[id] = c.status;
    else if (takenOver) back[id] = 'operational';
  }
  const incident = patchIncident(
    ctx,
    actor,
    current.id,
    { ...(takenOver ? {} : { status: 'resolved' as const }), body: want.body, components: back, deliver_notifications: want.notify },
    (i) => save(i, {}, true),
  );
  return { result: takenOver ? 'updated' : 'resolved', incident_id: incident.id };
}
