import { Router } from 'express';
import { actorOf } from '../locals.js';
import type { Context } from '../../context.js';
import { apiKeyInput, createApiKey, getApiKey, listApiKeys, revokeApiKey } from '../../domain/access/api-keys.js';
import { parseInput, problemsIn } from '../../lib/validate.js';
import { field, formBody, renderPage } from '../respond.js';
import { form } from '../middleware/form.js';
import { confirmPassword } from './reauth.js';

/** API keys for the management API (admins only); a key is shown once, then only its prefix. */
export function apiKeyRoutes(ctx: Context): Router {
  const router = Router();
  const listData = () => ({ title: 'API keys', nav: 'api-keys', keys: listApiKeys(ctx.db), pageId: ctx.pageId, publicUrl: ctx.config.publicUrl });

  router.get('/admin/api-keys', (_req, res) => {
    renderPage(ctx, res, 'admin/api-keys', { ...listData(), values: {} });
  });
  router.post('/admin/api-keys', form('admin/api-keys', listData), async (req, res) => {
    const body = formBody(req);
    const input = { name: field(body, 'name') ?? '' };
    await confirmPassword(ctx, res, body, problemsIn(apiKeyInput, input));
    const { apiKey, key } = createApiKey(ctx, actorOf(res), parseInput(apiKeyInput, input));
    (res.locals.log ?? ctx.log).info({ apiKey: apiKey.id }, 'API key created');
    res.set('Cache-Control', 'no-store');
    renderPage(ctx, res, 'admin/api-keys', { ...listData(), values: {}, created: { name: apiKey.name, key } }, { status: 201 });
  });
  const revokeData = (id: string) => () => {
    const apiKey = getApiKey(ctx.db, id);
    return {
      title: 'Revoke API key',
      nav: 'api-keys',
      verb: 'Revoke',
      what: `the API key “${apiKey.name}” (${apiKey.prefix}…)`,
      note: 'Whatever uses it is refused from then on.',
      action: `/admin/api-keys/${apiKey.id}/revoke`,
      back: '/admin/api-keys',
      reauth: true,
    };
  };
  router.get('/admin/api-keys/:id/revoke', (req, res) => {
    renderPage(ctx, res, 'admin/confirm-delete', revokeData(req.params.id)());
  });
  router.post(
    '/admin/api-keys/:id/revoke',
    (req, res, next) => form('admin/confirm-delete', revokeData(String(req.params.id)))(req, res, next),
    async (req, res) => {
      const id = String(req.params.id);
      getApiKey(ctx.db, id);
      await confirmPassword(ctx, res, formBody(req));
      revokeApiKey(ctx, actorOf(res), id);
      (res.locals.log ?? ctx.log).info({ apiKey: id }, 'API key revoked');
      res.redirect(303, '/admin/api-keys');
    },
  );
  return router;
}
