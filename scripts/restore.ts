// npm run restore -- FILE
// Puts a backup in place of the database. Refuses while a Pharos server uses the data folder; keeps the
// database as it was in DATA_DIR/backups/pre-restore-*.db.
import { mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../server/config.js';
import { checkBackup, restoreDatabase } from '../server/db/backup.js';
import { lockDataDir } from '../server/db/lock.js';
import { environmentWithDotEnv } from '../server/lib/env-file.js';
import { projectRoot } from '../server/lib/paths.js';
import { CliError } from './cli.js';

try {
  const config = loadConfig(environmentWithDotEnv(process.env));
  const file = process.argv.slice(2).find((a) => !a.startsWith('--'));
  if (!file) throw new CliError('Usage: npm run restore -- FILE');
  const backup = resolve(file);
  const known = readdirSync(join(projectRoot(), 'migrations')).filter((f) => f.endsWith('.sql'));
  const applied = checkBackup(backup, known);
  mkdirSync(config.dataDir, { recursive: true });
  // Held for the whole restore: no server can start on a half-restored database either.
  const release = lockDataDir(config.dataDir);
  try {
    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    const safety = join(config.dataDir, 'backups', `pre-restore-${stamp}.db`);
    await restoreDatabase(backup, config.databaseFile, safety);
    console.log(`Restored ${backup} into ${config.databaseFile}.`);
    console.log(`The database as it was is saved in ${safety}.`);
    const pending = known.filter((m) => !applied.includes(m));
    if (pending.length) console.log(`Pharos applies ${pending.length} newer migration(s) to it when it starts.`);
  } finally {
    release();
  }
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
}
