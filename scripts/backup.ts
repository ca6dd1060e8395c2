// npm run backup -- --out FILE
// An online, consistent copy of the database (while Pharos runs and writes), checked with integrity_check.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadConfig } from '../server/config.js';
import { backupTo } from '../server/db/backup.js';
import { openDatabase } from '../server/db/open.js';
import { environmentWithDotEnv } from '../server/lib/env-file.js';
import { CliError, option } from './cli.js';

try {
  const config = loadConfig(environmentWithDotEnv(process.env));
  const out = option(process.argv, 'out');
  if (!out) throw new CliError('Usage: npm run backup -- --out FILE');
  const target = resolve(out);
  if (existsSync(target)) throw new CliError(`${target} exists already: choose another file`);
  if (!existsSync(config.databaseFile)) throw new CliError(`There is no database at ${config.databaseFile} (DATA_DIR=${config.dataDir})`);
  mkdirSync(dirname(target), { recursive: true });
  const db = openDatabase(config.databaseFile);
  try {
    await backupTo(db, target, { oneStep: true });
  } finally {
    db.close();
  }
  console.log(`Backed up ${config.databaseFile} to ${target} (${statSync(target).size} bytes, integrity_check ok).`);
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
}
