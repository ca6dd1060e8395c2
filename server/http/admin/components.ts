import { Router } from 'express';
import type { Context } from '../../context.js';
import { createGroup, deleteGroup, getGroup, listGroups, updateGroup } from '../../domain/page/groups.js';
import { move, pageLayout } from '../../domain/page/order.js';
import { componentInput, componentPatch, createComponent, deleteComponent, getComponent, updateComponent } from '../../domain/page/components.js';
import { COMPONENT_STATUSES, COMPONENT_STATUS_LABELS } from '../../domain/page/status.js';
import { Invalid } from '../../errors.js';
import { actorOf } from '../locals.js';
import { field, formBody, renderPage } from '../respond.js';
import { form } from '../middleware/form.js';
import { parseInput } from '../../lib/validate.js';

const statuses = COMPONENT_STATUSES.map((value) => ({ value, label: COMPONENT_STATUS_LABELS[value] }));

/** A component form's fields: unchecked checkboxes are absent, so they are read as false here. */
function componentFields(body: Record<string, string | string[]>) {
  return {
    name: field(body, 'name') ?? '',
    description: field(body, 'description') ?? '',
    status: field(body, 'status'),
    group_id: field(body, 'group_id') ?? '',
    showcase: field(body, 'showcase') === 'on',
    only_show_if_degraded: field(body, 'only_show_if_degraded') === 'on',
  };
}

function direction(value: unknown): 'up' | 'down' {
  if (value === 'up' || value === 'down') return value;
  throw new Invalid({ direction: 'Must be up or down' });
}

/** Components and their groups, in the order the page shows them (admins only). */
export function componentRoutes(ctx: Context): Router {
  const router = Router();
  const formData = (title: string) => () => ({ title, nav: 'components', statuses, groups: listGroups(ctx.db) });

  router.get('/admin/components', (_req, res) => {
    // Each row sets its component's status in one step (component-status.ts).
    renderPage(ctx, res, 'admin/components', { title: 'Components', nav: 'components', layout: pageLayout(ctx.db), statuses });
  });

  router.get('/admin/components/new', (req, res) => {
    const groupId = typeof req.query.group === 'string' ? req.query.group : '';
    renderPage(ctx, res, 'admin/component-form', {
      ...formData('New component')(),
      action: '/admin/components',
      values: { status: 'operational', showcase: 'on', group_id: groupId },
    });
  });
  router.post(
    '/admin/components',
    form('admin/component-form', () => ({ ...formData('New component')(), action: '/admin/components' })),
    (req, res) => {
      createComponent(ctx, actorOf(res), parseInput(componentInput, componentFields(formBody(req))));
      res.redirect(303, '/admin/components');
    },
  );

  router.get('/admin/components/:id/edit', (req, res) => {
    const c = getComponent(ctx.db, req.params.id);
    renderPage(ctx, res, 'admin/component-form', {
      ...formData(`Edit ${c.name}`)(),
      component: c,
      action: `/admin/components/${c.id}/edit`,
      values: { ...c, group_id: c.group_id ?? '', showcase: c.showcase ? 'on' : '', only_show_if_degraded: c.only_show_if_degraded ? 'on' : '' },
    });
  });
  router.post(
    '/admin/components/:id/edit',
    (req, res, next) =>
      form('admin/component-form', () => ({ ...formData('Edit component')(), action: `/admin/components/${String(req.params.id)}/edit` }))(req, res, next),
    (req, res) => {
      const id = String(req.params.id);
      getComponent(ctx.db, id);
      updateComponent(ctx, actorOf(res), id, parseInput(componentPatch, componentFields(formBody(req))));
      res.redirect(303, '/admin/components');
    },
  );
  router.post('/admin/components/:id/move', (req, res) => {
    move(ctx, actorOf(res), 'component', req.params.id, direction(field(formBody(req), 'direction')));
    res.redirect(303, '/admin/components');
  });
  router.get('/admin/components/:id/delete', (req, res) => {
    const c = getComponent(ctx.db, req.params.id);
    renderPage(ctx, res, 'admin/confirm-delete', {
      title: 'Delete component',
      nav: 'components',
      what: `the component “${c.name}”`,
      note: 'It disappears from the status page and the API. Past incidents keep its name in their timelines.',
      action: `/admin/components/${c.id}/delete`,
      back: '/admin/components',
    });
  });
  router.post('/admin/components/:id/delete', (req, res) => {
    deleteComponent(ctx, actorOf(res), req.params.id);
    res.redirect(303, '/admin/components');
  });

  const groupData = (title: string, action: string) => () => ({ title, nav: 'components', action });
  router.get('/admin/groups/new', (_req, res) => {
    renderPage(ctx, res, 'admin/group-form', { ...groupData('New group', '/admin/groups')(), values: {} });
  });
  router.post('/admin/groups', form('admin/group-form', groupData('New group', '/admin/groups')), (req, res) => {
    const body = formBody(req);
    createGroup(ctx, actorOf(res), { name: field(body, 'name') ?? '', description: field(body, 'description') ?? '' });
    res.redirect(303, '/admin/components');
  });
  router.get('/admin/groups/:id/edit', (req, res) => {
    const g = getGroup(ctx.db, req.params.id);
    renderPage(ctx, res, 'admin/group-form', { ...groupData(`Edit ${g.name}`, `/admin/groups/${g.id}/edit`)(), values: g });
  });
  router.post(
    '/admin/groups/:id/edit',
    (req, res, next) => form('admin/group-form', groupData('Edit group', `/admin/groups/${String(req.params.id)}/edit`))(req, res, next),
    (req, res) => {
      const body = formBody(req);
      updateGroup(ctx, actorOf(res), String(req.params.id), { name: field(body, 'name') ?? '', description: field(body, 'description') ?? '' });
      res.redirect(303, '/admin/components');
    },
  );
  router.post('/admin/groups/:id/move', (req, res) => {
    move(ctx, actorOf(res), 'group', req.params.id, direction(field(formBody(req), 'direction')));
    res.redirect(303, '/admin/components');
  });
  router.get('/admin/groups/:id/delete', (req, res) => {
    const g = getGroup(ctx.db, req.params.id);
    renderPage(ctx, res, 'admin/confirm-delete', {
      title: 'Delete group',
      nav: 'components',
      what: `the group “${g.name}”`,
      note: 'Its components are kept and shown without a group.',
      action: `/admin/groups/${g.id}/delete`,
      back: '/admin/components',
    });
  });
  router.post('/admin/groups/:id/delete', (req, res) => {
    deleteGroup(ctx, actorOf(res), req.params.id);
    res.redirect(303, '/admin/components');
  });

  return router;
}
