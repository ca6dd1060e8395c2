import express, { Router } from 'express';
import { join } from 'node:path';
import { ASSET_DIRS } from '../lib/paths.js';

/**
 * public/css, public/js and public/icons, under their own prefixes only: other paths (the hot ones)
 * never cost a filesystem stat. /favicon.ico, which browsers and tools ask for by habit, points to the
 * icon. Served the same by the primary and by an edge.
 */
export function staticAssets(root: string): Router {
  const router = Router();
  for (const dir of ASSET_DIRS) router.use(`/${dir}`, express.static(join(root, 'public', dir), { index: false, maxAge: '1h' }));
  router.get('/favicon.ico', (_req, res) => res.redirect(301, '/icons/pharos.svg'));
  return router;
}
