import { Router } from 'express';
import multer from 'multer';
import type { Context } from '../../context.js';
import { LOGO_MAX_BYTES, removeLogo, setLogo } from '../../domain/page/logo.js';
import { Invalid, Unauthorized } from '../../errors.js';
import { actorOf } from '../locals.js';
import { requireAdmin, requireUser } from '../middleware/auth.js';
import { requireCsrf } from '../middleware/csrf.js';
import { form } from '../middleware/form.js';
import { settingsPageData } from './settings.js';

// One file, a little over the limit so that "too large" is said by the domain with the figure.
const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: LOGO_MAX_BYTES + 1, files: 1, fields: 5 } });

/**
 * Admin → Settings → Branding → Logo: a multipart upload, read only for a signed-in admin (mounted
 * before the admin's urlencoded parser, like the CSV import), its CSRF token checked once multer has
 * read the form.
 */
export function logoRoutes(ctx: Context): Router {
  const router = Router();
  const page = () => settingsPageData(ctx);
  router.post(
    '/admin/settings/logo',
    requireUser,
    requireAdmin,
    (req, res, next) =>
      upload.single('logo')(req, res, (err: unknown) => {
        if (!err) return next();
        // Refused as a field of the form: the settings page again, saying why.
        res.locals.form = { view: 'admin/settings', data: page, layout: 'admin' };
        const tooLarge = err instanceof multer.MulterError && err.code === 'LIMIT_FILE_SIZE';
        next(new Invalid({ logo: tooLarge ? `The image is larger than ${LOGO_MAX_BYTES / 1024} KB` : 'The upload could not be read: choose one image file' }));
      }),
    requireCsrf,
    form('admin/settings', page),
    (req, res) => {
      if (!res.locals.user) throw new Unauthorized();
      setLogo(ctx, actorOf(res), req.file?.buffer);
      res.redirect(303, '/admin/settings#branding');
    },
  );
  return router;
}

/** Removing the logo is an ordinary form (after the admin's parser and CSRF check). */
export function logoRemoveRoute(ctx: Context): Router {
  const router = Router();
  router.post('/admin/settings/logo/remove', (_req, res) => {
    removeLogo(ctx, actorOf(res));
    res.redirect(303, '/admin/settings#branding');
  });
  return router;
}
