import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, loadConfig } from '../server/config.js';
import { type Context } from '../server/context.js';
import { createContext } from '../server/compose.js';
import { MigrationError } from '../server/db/migrate.js';
import { HttpError } from '../server/errors.js';
import { environmentWithDotEnv } from '../server/lib/env-file.js';
import { createLog } from '../server/log.js';

/** `--name value` / `--name=value` from argv. */
export function option(argv: string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === `--${name}`) return argv[i + 1];
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
  }
  return undefined;
}

/**
 * Runs a command-line task against the configured database (the same environment and .env as the
 * server); one clear line on failure. It says which database and page it acts on, and does not create
 * a database that is not there unless asked (`--create`, or `opts.create` for the demo seed): run
 * without the server's DATA_DIR, it would otherwise make a new page nobody serves.
 */
export async function runCli(task: (ctx: Context) => Promise<void> | void, opts: { create?: boolean } = {}): Promise<void> {
  let ctx: Context | undefined;
  try {
    const config = loadConfig(environmentWithDotEnv(process.env));
    if (!existsSync(config.databaseFile) && !opts.create && !process.argv.includes('--create')) {
      throw new CliError(
        `No Pharos database at ${resolve(config.databaseFile)} (DATA_DIR=${config.dataDir}). Run this where the server runs, with its .env or DATA_DIR, or add --create to start a new page there.`,
      );
    }
    ctx = createContext(config, { log: createLog('warn') });
    console.error(`Pharos database ${resolve(config.databaseFile)} · page ${ctx.pageId} · ${config.publicUrl}`);
    await task(ctx);
  } catch (err) {
    if (err instanceof HttpError) {
      const fields = Object.entries(err.fields).map(([k, v]) => `${k}: ${v}`);
      console.error(fields.length ? fields.join('\n') : err.message);
    } else if (err instanceof ConfigError || err instanceof MigrationError || err instanceof CliError) {
      console.error(err.message);
    } else {
      throw err;
    }
    process.exitCode = 1;
  } finally {
    ctx?.db.close();
  }
}

export class CliError extends Error {}
