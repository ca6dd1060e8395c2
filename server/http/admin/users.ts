import { Router } from 'express';
import { actorOf } from '../locals.js';
import type { Context } from '../../context.js';
import { createUser, deleteUser, getUser, listUsers, newUserInput, roleInput, ROLES, setRole } from '../../domain/access/users.js';
import { Invalid } from '../../errors.js';
import { field, formBody, renderPage } from '../respond.js';
import { form } from '../middleware/form.js';
import { confirmPassword } from './reauth.js';
import { parseInput, problemsIn } from '../../lib/validate.js';

/** Operator accounts (admins only). */
export function userRoutes(ctx: Context): Router {
  const router = Router();
  const listData = () => ({ title: 'Users', nav: 'users', users: listUsers(ctx.db), roles: ROLES });

  router.get('/admin/users', (_req, res) => {
    renderPage(ctx, res, 'admin/users', { ...listData(), values: { role: 'operator' } });
  });
  router.post('/admin/users', form('admin/users', listData), async (req, res) => {
    const body = formBody(req);
    const input = { email: field(body, 'email'), name: field(body, 'name') ?? '', password: field(body, 'password'), role: field(body, 'role') };
    // The password first, with every problem of the form at once: a stolen session learns nothing,
    // not even which addresses have accounts (checked only once the password is right).
    await confirmPassword(ctx, res, body, problemsIn(newUserInput, input));
    await createUser(ctx, actorOf(res), parseInput(newUserInput, input));
    res.redirect(303, '/admin/users');
  });
  // Shown again, the page marks the row whose role was to change.
  const roleData = (id: string) => () => ({ ...listData(), changing: id });
  router.post(
    '/admin/users/:id/role',
    (req, res, next) => form('admin/users', roleData(String(req.params.id)))(req, res, next),
    async (req, res) => {
      if (req.params.id === res.locals.user?.id) throw new Invalid({ role: 'Ask another admin to change your own role' });
      const body = formBody(req);
      await confirmPassword(ctx, res, body, problemsIn(roleInput, { role: field(body, 'role') }));
      setRole(ctx, actorOf(res), String(req.params.id), field(body, 'role'));
      res.redirect(303, '/admin/users');
    },
  );
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
      deleteUser(ctx, actorOf(res), gone.id);
      res.redirect(303, '/admin/users');
    },
  );
  return router;
}
