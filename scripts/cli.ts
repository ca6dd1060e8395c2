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

/** Runs a command-line task against the configured database; one clear line on failure. */
export async function runCli(task: (ctx: Context) => Promise<void> | void): Promise<void> {
  let ctx: Context | undefined;
  try {
    ctx = createContext(loadConfig(environmentWithDotEnv(process.env)), { log: createLog('warn') });
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
