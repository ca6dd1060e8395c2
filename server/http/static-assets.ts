import express, { Router } from 'express';
import { join } from 'node:path';

/**
 * public/css and public/js, under their own prefixes only: other paths (the hot ones) never cost a
 * filesystem stat. Served the same by the primary and by an edge.
 */
export function staticAssets(root: string): Router {
  const router = Router();
  for (const dir of ['css', 'js']) router.use(`/${dir}`, express.static(join(root, 'public', dir), { index: false, maxAge: '1h' }));
  return router;
}
