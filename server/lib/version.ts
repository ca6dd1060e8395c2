import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './paths.js';

/** Pharos's version and licence, from package.json, read once. */
export const ABOUT: { version: string; license: string } = (() => {
  const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version?: unknown; license?: unknown };
  return { version: typeof pkg.version === 'string' ? pkg.version : 'unknown', license: typeof pkg.license === 'string' ? pkg.license : 'unknown' };
})();
