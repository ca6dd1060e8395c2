import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/** The process environment plus ./.env for variables not already set (the environment wins). */
export function environmentWithDotEnv(env: NodeJS.ProcessEnv, file = '.env'): Record<string, string | undefined> {
  const merged: Record<string, string | undefined> = { ...env };
  if (existsSync(file)) {
    for (const [key, value] of Object.entries(parseEnv(readFileSync(file, 'utf8')))) merged[key] ??= value;
  }
  return merged;
}
