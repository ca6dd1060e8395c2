import { Router } from 'express';
import { audit } from '../../domain/access/audit.js';
import { actorOf } from '../locals.js';
import type { Context } from '../../context.js';
import { deleteUser, getUser, listUsers, createUser, setRole, ROLES } from '../../domain/access/users.js';
import { Invalid } from '../../errors.js';
import { endUserSessions } from '../../domain/access/sessions.js';
import { field, formBody, renderPage } from '../respond.js';
import { form } from '../middleware/form.js';
import { confirmPassword } from './reauth.js';

/** Operator accounts (admins only). */
export function userRoutes(ctx: Context): Router {
  const router = Router();
  const listData = () => ({ title: 'Users', nav: 'users', users: listUsers(ctx.db), roles: ROLES });

  router.get('/admin/users', (_req, res) => {
    renderPage(ctx, res, 'admin/users', { ...listData(), values: { role: 'operator' } });
  });
  router.post('/admin/users', form('admin/users', listData), async (req, res) => {
    const body = formBody(req);
    // First: a stolen session learns nothing, not even which addresses have accounts.
    await confirmPassword(ctx, res, body);
    const user = await createUser(
      ctx.db,
      ctx.passwords,
      { email: field(body, 'email'), name: field(body, 'name') ?? '', password: field(body, 'password'), role: field(body, 'role') },
      ctx.clock.now(),
    );
    audit(ctx.db, actorOf(res), 'user.created', user.email, { role: user.role }, ctx.clock.now());
    res.redirect(303, '/admin/users');
  });
  router.post('/admin/users/:id/role', form('admin/users', listData), async (req, res) => {
    if (req.params.id === res.locals.user?.id) throw new Invalid({ role: 'Ask another admin to change your own role' });
    const body = formBody(req);
    await confirmPassword(ctx, res, body);
    const before = getUser(ctx.db, String(req.params.id));
    const after = setRole(ctx.db, String(req.params.id), field(body, 'role'), ctx.clock.now());
    // A change of privilege ends the user's sessions (OWASP): they sign in again, with the new role.
    if (after.role !== before.role) {
      endUserSessions(ctx.db, after.id);
      ctx.bus.emit('sessions.ended', { userId: after.id });
    }
    audit(ctx.db, actorOf(res), 'user.role_changed', after.email, { before: { role: before.role }, after: { role: after.role } }, ctx.clock.now());
    res.redirect(303, '/admin/users');
  });
  const deleteData = (id: string) => () => {
    const user = getUser(ctx.db, id);
    return {
      title: 'Delete user',
      nav: 'users',
      what: `the account of ${user.email}`,
      note: 'Their sessions end at once. Updates they posted keep their name.',
      action: `/admin/users/${user.id}/delete`,
      back: '/admin/users',
      reauth: true,
    };
  };
  router.get('/admin/users/:id/delete', (req, res) => {
    renderPage(ctx, res, 'admin/confirm-delete', deleteData(req.params.id)());
  });
  router.post(
    '/admin/users/:id/delete',
    (req, res, next) => form('admin/confirm-delete', deleteData(String(req.params.id)))(req, res, next),
    async (req, res) => {
      if (req.params.id === res.locals.user?.id) throw new Invalid({ form: 'You cannot delete your own account' });
      const gone = getUser(ctx.db, String(req.params.id));
      await confirmPassword(ctx, res, formBody(req));
      deleteUser(ctx.db, gone.id);
      ctx.bus.emit('sessions.ended', { userId: gone.id });
      audit(ctx.db, actorOf(res), 'user.deleted', gone.email, { before: { role: gone.role, name: gone.name } }, ctx.clock.now());
      res.redirect(303, '/admin/users');
    },
  );
  return router;
}
