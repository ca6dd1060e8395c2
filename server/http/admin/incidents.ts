import { Router } from 'express';
import type { Context } from '../../context.js';
import { createIncident, deleteIncident, deleteUpdate, editUpdate, patchIncident } from '../../domain/incidents/writes.js';
import { getIncident, listMaintenance, listRecent, listUnresolved, type Incident } from '../../domain/incidents/queries.js';
import { INCIDENT_STATUS_LABELS, isResolved, MAINTENANCE_STATUSES, nextIncidentStatus } from '../../domain/page/status.js';
import { incidentPatchInput, newIncidentInput, updateEditInput, updateInput } from '../../domain/incidents/schemas.js';
import { postUpdate } from '../../domain/incidents/updates.js';
import { parseInput } from '../../lib/validate.js';
import { mailInFlight, sourceStats } from '../../domain/subscribers/outbox.js';
import { listDrafts } from '../../domain/incidents/alert-drafts.js';
import { getGate } from '../../domain/subscribers/gate.js';
import { NotFound } from '../../errors.js';
import { formatDuration } from '../../render/format.js';
import { toZonedInput } from '../../lib/time.js';
import { deadlineOf, openClocks } from '../../domain/incidents/data-protection.js';
import { dataProtectionRoutes } from './data-protection.js';
import { postmortemRoutes } from './postmortem.js';
import { recentFigures } from '../../domain/incidents/metrics.js';
import { actorOf } from '../locals.js';
import { componentBoard } from './component-status.js';
import { field, formBody, renderPage } from '../respond.js';
import { form } from '../middleware/form.js';
import { confirmPassword } from './reauth.js';
import { componentRows, incidentChoices, incidentFormInput } from './incident-form.js';
import { pageZone } from '../../domain/page/time-zone.js';
import { findTemplate } from '../../domain/incidents/templates.js';
import { incidentValuesFrom, linkedComponents, templatePicker } from './templates.js';
import { similarChoice, unacknowledged } from './similar-incidents.js';
import { similarRecentIncidents } from '../../domain/incidents/similar.js';

/** Dashboard, new incident, updates, edits and deletions: what operators do during an incident. */
export function incidentRoutes(ctx: Context): Router {
  const router = Router();

  router.get('/admin', (_req, res) => {
    const open = listUnresolved(ctx.db);
    const maintenance = listMaintenance(ctx.db, 'open');
    const recent = listRecent(ctx.db, 10).filter((i) => isResolved(i.status));
    const now = ctx.clock.now();
    renderPage(ctx, res, 'admin/dashboard', {
      title: 'Dashboard',
      nav: 'dashboard',
      // The cockpit: each open incident with how long subscribers have heard nothing, and its next step.
      open: open.map((i) => {
        const last = i.incident_updates[0]?.created_at ?? i.created_at;
        const quietMs = now.getTime() - Date.parse(last);
        return {
          ...i,
          lastUpdateAgo: formatDuration(last, now.toISOString()),
          quiet: quietMs > 30 * 60_000,
          next: INCIDENT_STATUS_LABELS[nextIncidentStatus(i.status)],
        };
      }),
      mail: mailInFlight(ctx.db),
      drafts: listDrafts(ctx.db).map((d) => ({ ...d, components: Object.keys(d.components).length })),
      gate: getGate(ctx.db),
      maintenance,
      recent,
      status: ctx.snapshot.current().state.status,
      // Each component with a form that sets its status in one step (component-status.ts).
      board: componentBoard(ctx.db),
      clocks: openClocks(ctx, now).map((c) => ({ ...c, left: formatDuration(now.toISOString(), c.deadline) })),
      figures30: recentFigures(ctx.db, now, 30),
      figures90: recentFigures(ctx.db, now, 90),
    });
  });

  const newData = (values: Record<string, string | string[]>) => ({
    title: 'New incident',
    nav: 'incidents',
    ...incidentChoices,
    templates: templatePicker(ctx),
    components: componentRows(ctx, values),
    linked: linkedComponents(ctx, values),
  });
  router.get('/admin/incidents/new', (req, res) => {
    // ?template=ID: the form filled in from a template (the picker without JavaScript).
    const template = typeof req.query.template === 'string' && req.query.template ? findTemplate(ctx.db, req.query.template) : undefined;
    const values = template ? incidentValuesFrom(template) : { status: 'investigating', deliver_notifications: 'on' };
    renderPage(ctx, res, 'admin/incident-new', { ...newData(values), values });
  });
  router.post('/admin/incidents', form('admin/incident-new', newData), (req, res) => {
    const body = formBody(req);
    const input = parseInput(newIncidentInput, incidentFormInput(ctx, body, { incident: true, update: true }));
    // A name like one opened minutes ago (Back and Create again, a colleague's): asked first, with the
    // form as typed. A 4xx gives the one-time token back, so that "Post anyway" can use it.
    const similar = similarRecentIncidents(ctx.db, input.name, ctx.clock.now());
    if (unacknowledged(similar, body).length) {
      renderPage(ctx, res, 'admin/incident-new', { ...newData(body), values: body, similar: similarChoice(similar) }, { status: 409 });
      return;
    }
    // An operator who leaves the impact to derive and picks no component still has an incident: minor,
    // never an open incident under "All Systems Operational" (the API keeps Statuspage's rule).
    const incident = createIncident(ctx, actorOf(res), input, { impactFloor: 'minor' });
    res.redirect(303, `/admin/incidents/${incident.id}`);
  });

  const showData = (id: string) => (values: Record<string, string | string[]>) => {
    const incident = getIncident(ctx.db, id);
    return {
      title: incident.name,
      nav: incident.kind === 'maintenance' ? 'maintenance' : 'incidents',
      incident,
      // Each update's mail: counts now, then live over socket.io while it goes out.
      updates: incident.incident_updates.map((u) => ({ ...u, source: `update:${u.id}`, stats: sourceStats(ctx.db, `update:${u.id}`) })),
      liveProgress: true,
      resolvedAfter: incident.resolved_at ? formatDuration(incident.started_at, incident.resolved_at) : undefined,
      ...incidentChoices,
      // Maintenance moves through its own statuses; its components follow the window, not the form.
      ...(incident.kind === 'maintenance'
        ? { statuses: MAINTENANCE_STATUSES.map((value) => ({ value, label: INCIDENT_STATUS_LABELS[value] })), components: [] }
        : { components: componentRows(ctx, values, incident.components) }),
      isMaintenance: incident.kind === 'maintenance',
      clock: clockOf(incident),
    };
  };
  const clockOf = (incident: Incident) => {
    const deadline = deadlineOf(incident);
    if (!deadline) return undefined;
    const now = ctx.clock.now();
    const tz = pageZone(ctx);
    return {
      deadline,
      overdue: Date.parse(deadline) < now.getTime(),
      left: formatDuration(now.toISOString(), deadline),
      awareInput: toZonedInput(incident.aware_at ?? now.toISOString(), tz),
      nowInput: toZonedInput(now.toISOString(), tz),
    };
  };
  router.use(dataProtectionRoutes(ctx, showData));
  router.use(postmortemRoutes(ctx, showData));

  router.get('/admin/incidents/:id', (req, res) => {
    const data = showData(req.params.id)({});
    // The form offers the next status (investigating → identified → monitoring → resolved); maintenance its own.
    const status = data.incident.kind === 'maintenance' ? data.incident.status : nextIncidentStatus(data.incident.status);
    renderPage(ctx, res, 'admin/incident', {
      ...data,
      values: {
        status,
        deliver_notifications: 'on',
        body_draft: data.incident.postmortem_draft ?? '',
        ...(data.incident.postmortem_notified ? { notify_subscribers: 'on' } : {}),
      },
    });
  });
  router.post(
    '/admin/incidents/:id/updates',
    (req, res, next) => form('admin/incident', showData(String(req.params.id)))(req, res, next),
    (req, res) => {
      const id = String(req.params.id);
      postUpdate(ctx, actorOf(res), id, parseInput(updateInput, incidentFormInput(ctx, formBody(req), { update: true })));
      res.redirect(303, `/admin/incidents/${id}`);
    },
  );

  const editData = (id: string) => () => ({ title: 'Edit incident', nav: 'incidents', incident: getIncident(ctx.db, id), ...incidentChoices });
  router.get('/admin/incidents/:id/edit', (req, res) => {
    const data = editData(req.params.id)();
    const { incident } = data;
    renderPage(ctx, res, 'admin/incident-edit', {
      ...data,
      values: { name: incident.name, impact_override: incident.impact_override ?? '', started_at: toZonedInput(incident.started_at, pageZone(ctx)) },
    });
  });
  router.post(
    '/admin/incidents/:id/edit',
    (req, res, next) => form('admin/incident-edit', editData(String(req.params.id)))(req, res, next),
    (req, res) => {
      const id = String(req.params.id);
      const originalStart = getIncident(ctx.db, id).started_at;
      patchIncident(ctx, actorOf(res), id, parseInput(incidentPatchInput, incidentFormInput(ctx, formBody(req), { incident: true, originalStart })));
      res.redirect(303, `/admin/incidents/${id}`);
    },
  );

  const deleteData = (id: string) => () => {
    const incident = getIncident(ctx.db, id);
    return {
      title: 'Delete incident',
      nav: 'incidents',
      what: `the incident “${incident.name}” and its ${incident.incident_updates.length} update(s)`,
      note: 'It disappears from the status page, the history and the API. Component statuses stay as they are.',
      action: `/admin/incidents/${incident.id}/delete`,
      back: `/admin/incidents/${incident.id}`,
      reauth: true,
    };
  };
  router.get('/admin/incidents/:id/delete', (req, res) => {
    renderPage(ctx, res, 'admin/confirm-delete', deleteData(req.params.id)());
  });
  router.post(
    '/admin/incidents/:id/delete',
    (req, res, next) => form('admin/confirm-delete', deleteData(req.params.id))(req, res, next),
    async (req, res) => {
      getIncident(ctx.db, req.params.id);
      await confirmPassword(ctx, res, formBody(req));
      deleteIncident(ctx, actorOf(res), req.params.id);
      res.redirect(303, '/admin');
    },
  );

  const updateOf = (incidentId: string, updateId: string) => {
    const incident = getIncident(ctx.db, incidentId);
    const update = incident.incident_updates.find((u) => u.id === updateId);
    if (!update) throw new NotFound('No such update');
    return { incident, update };
  };
  const updateEditData = (incidentId: string, updateId: string) => () => ({ title: 'Edit update', nav: 'incidents', ...updateOf(incidentId, updateId) });
  router.get('/admin/incidents/:id/updates/:updateId/edit', (req, res) => {
    const data = updateEditData(req.params.id, req.params.updateId)();
    renderPage(ctx, res, 'admin/update-edit', { ...data, values: { body: data.update.body } });
  });
  router.post(
    '/admin/incidents/:id/updates/:updateId/edit',
    (req, res, next) => form('admin/update-edit', updateEditData(String(req.params.id), String(req.params.updateId)))(req, res, next),
    (req, res) => {
      const { id, updateId } = req.params;
      updateOf(id, updateId);
      editUpdate(ctx, actorOf(res), id, updateId, parseInput(updateEditInput, { body: field(formBody(req), 'body') ?? '' }));
      res.redirect(303, `/admin/incidents/${id}`);
    },
  );
  router.get('/admin/incidents/:id/updates/:updateId/delete', (req, res) => {
    const { incident, update } = updateOf(req.params.id, req.params.updateId);
    renderPage(ctx, res, 'admin/confirm-delete', {
      title: 'Delete update',
      nav: 'incidents',
      what: `this “${update.status}” update of “${incident.name}”`,
      quote: update.body,
      note: 'Component statuses it changed stay as they are.',
      action: `/admin/incidents/${incident.id}/updates/${update.id}/delete`,
      back: `/admin/incidents/${incident.id}`,
    });
  });
  router.post(
    '/admin/incidents/:id/updates/:updateId/delete',
    (req, res, next) => form('admin/incident', showData(String(req.params.id)))(req, res, next),
    (req, res) => {
      const { id, updateId } = req.params;
      updateOf(id, updateId);
      deleteUpdate(ctx, actorOf(res), id, updateId);
      res.redirect(303, `/admin/incidents/${id}`);
    },
  );

  return router;
}
