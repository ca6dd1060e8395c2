import { Router } from 'express';
import type { Context } from '../../context.js';
import { listGroups } from '../../domain/page/groups.js';
import { orderedComponents, pageLayout } from '../../domain/page/order.js';
import { INCIDENT_STATUSES, INCIDENT_STATUS_LABELS } from '../../domain/page/status.js';
import {
  createTemplate,
  deleteTemplate,
  getTemplate,
  listTemplates,
  templateInput,
  updateTemplate,
  type IncidentTemplate,
  type TemplateInput,
} from '../../domain/incidents/templates.js';
import { actorOf } from '../locals.js';
import { field, formBody, renderPage } from '../respond.js';
import { form } from '../middleware/form.js';
import { parseInput } from '../../lib/validate.js';

type Values = Record<string, string | string[]>;

const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]).filter(Boolean);
const statuses = INCIDENT_STATUSES.map((value) => ({ value, label: INCIDENT_STATUS_LABELS[value] }));

/** The form's fields as the domain's input: an unchecked checkbox is absent, a checkbox list repeats its name. */
function templateFields(body: Values): TemplateInput {
  return parseInput(templateInput, {
    name: field(body, 'name') ?? '',
    title: field(body, 'title') ?? '',
    body: field(body, 'body') ?? '',
    group_id: field(body, 'group_id') ?? '',
    update_status: field(body, 'update_status'),
    should_send_notifications: field(body, 'should_send_notifications') === 'on',
    component_ids: list(body.component_ids),
  });
}

/** A template as the form's typed values. */
function templateValues(t: IncidentTemplate): Values {
  return {
    name: t.name,
    title: t.title,
    body: t.body,
    group_id: t.group_id ?? '',
    update_status: t.update_status,
    should_send_notifications: t.should_send_notifications ? 'on' : '',
    component_ids: t.component_ids,
  };
}

/** Components as "Group / Name", in page order. */
function componentNames(ctx: Context): { id: string; name: string }[] {
  const groups = new Map(listGroups(ctx.db).map((g) => [g.id, g.name]));
  return orderedComponents(pageLayout(ctx.db)).map((c) => ({ id: c.id, name: c.group_id ? `${groups.get(c.group_id) ?? ''} / ${c.name}` : c.name }));
}

/**
 * The new-incident form's picker: templates without a group first, then each group's under its name. Each
 * option carries what public/js/admin-templates.js fills in; without JavaScript, "Use template" asks the
 * server for the form filled in (GET /admin/incidents/new?template=ID).
 */
export function templatePicker(ctx: Context): { label: string | undefined; templates: Record<string, string>[] }[] {
  const all = listTemplates(ctx.db);
  const option = (t: IncidentTemplate) => ({
    id: t.id,
    name: t.name,
    title: t.title,
    body: t.body,
    status: t.update_status,
    notify: t.should_send_notifications ? 'on' : '',
    components: t.component_ids.join(' '),
  });
  const picker = [{ label: undefined as string | undefined, templates: all.filter((t) => !t.group_id).map(option) }];
  for (const g of listGroups(ctx.db)) picker.push({ label: g.name, templates: all.filter((t) => t.group_id === g.id).map(option) });
  return picker.filter((p) => p.templates.length > 0);
}

/** The new-incident form's values from a template: its title, status, message, notification and components. */
export function incidentValuesFrom(t: IncidentTemplate): Values {
  return {
    template: t.id,
    ...(t.title ? { name: t.title } : {}),
    status: t.update_status,
    body: t.body,
    deliver_notifications: t.should_send_notifications ? 'on' : '',
    component_ids: t.component_ids,
  };
}

/** The components the new-incident form lists as affected without a status (checked boxes, as typed). */
export function linkedComponents(ctx: Context, values: Values): { id: string; name: string }[] {
  const chosen = new Set(list(values.component_ids));
  return chosen.size ? componentNames(ctx).filter((c) => chosen.has(c.id)) : [];
}

/** Admin → Templates: the list, a form to add or edit one, and deletion (admins only). */
export function templateRoutes(ctx: Context): Router {
  const router = Router();
  const formData = (title: string, action: string) => (values: Values) => {
    const chosen = new Set(list(values.component_ids));
    return {
      title,
      nav: 'templates',
      action,
      statuses,
      groups: listGroups(ctx.db),
      choices: componentNames(ctx).map((c) => ({ ...c, checked: chosen.has(c.id) })),
    };
  };

  router.get('/admin/templates', (_req, res) => {
    const groups = new Map(listGroups(ctx.db).map((g) => [g.id, g.name]));
    const names = new Map(componentNames(ctx).map((c) => [c.id, c.name]));
    renderPage(ctx, res, 'admin/templates', {
      title: 'Incident templates',
      nav: 'templates',
      rows: listTemplates(ctx.db).map((t) => ({
        ...t,
        group: t.group_id ? groups.get(t.group_id) : undefined,
        components: t.component_ids.map((c) => names.get(c) ?? c).join(', '),
      })),
    });
  });

  const newData = formData('New template', '/admin/templates');
  router.get('/admin/templates/new', (_req, res) => {
    const values = { update_status: 'investigating', should_send_notifications: 'on' };
    renderPage(ctx, res, 'admin/template-form', { ...newData(values), values });
  });
  router.post('/admin/templates', form('admin/template-form', newData), (req, res) => {
    createTemplate(ctx, actorOf(res), templateFields(formBody(req)));
    res.redirect(303, '/admin/templates');
  });

  const editData = (templateId: string) => formData('Edit template', `/admin/templates/${templateId}/edit`);
  router.get('/admin/templates/:id/edit', (req, res) => {
    const t = getTemplate(ctx.db, req.params.id);
    const values = templateValues(t);
    renderPage(ctx, res, 'admin/template-form', { ...editData(t.id)(values), title: `Edit ${t.name}`, values });
  });
  router.post(
    '/admin/templates/:id/edit',
    (req, res, next) => form('admin/template-form', editData(String(req.params.id)))(req, res, next),
    (req, res) => {
      const templateId = String(req.params.id);
      getTemplate(ctx.db, templateId);
      updateTemplate(ctx, actorOf(res), templateId, templateFields(formBody(req)));
      res.redirect(303, '/admin/templates');
    },
  );

  router.get('/admin/templates/:id/delete', (req, res) => {
    const t = getTemplate(ctx.db, req.params.id);
    renderPage(ctx, res, 'admin/confirm-delete', {
      title: 'Delete template',
      nav: 'templates',
      what: `the template “${t.name}”`,
      note: 'Incidents started from it keep their text.',
      action: `/admin/templates/${t.id}/delete`,
      back: '/admin/templates',
    });
  });
  router.post('/admin/templates/:id/delete', (req, res) => {
    deleteTemplate(ctx, actorOf(res), req.params.id);
    res.redirect(303, '/admin/templates');
  });
  return router;
}
