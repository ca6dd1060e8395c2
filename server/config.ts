import { z } from 'zod';

/** The typed, validated configuration. Only main.ts and scripts read process.env and pass it here. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseFile: string;
  publicUrl: string;
  pageName: string;
  timeZone: string;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  sessionSecret: string | undefined;
  logLevel: LogLevel;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {
  constructor(readonly variable: string, detail: string) {
    super(`Invalid configuration: ${variable} ${detail}`);
  }
}

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const schema = z.object({
  PORT: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^\d+$/, 'must be a whole number from 0 to 65535')
      .transform(Number)
      .refine((n) => n >= 0 && n <= 65535, 'must be a whole number from 0 to 65535')
      .default('3000'),
  ),
  HOST: z.preprocess(blankToUndefined, z.string().default('0.0.0.0')),
  DATA_DIR: z.preprocess(blankToUndefined, z.string().default('./data')),
  PUBLIC_URL: z.preprocess(
    blankToUndefined,
    z
      .string()
      .url('must be an absolute http:// or https:// URL')
      .refine((u) => /^https?:\/\//.test(u), 'must be an absolute http:// or https:// URL')
      .optional(),
  ),
  PAGE_NAME: z.preprocess(blankToUndefined, z.string().max(100, 'must be at most 100 characters').default('Pharos')),
  TIME_ZONE: z.preprocess(
    blankToUndefined,
    z.string().refine(isTimeZone, 'must be an IANA time zone such as Etc/UTC or Europe/Paris').default('Etc/UTC'),
  ),
  ADMIN_EMAIL: z.preprocess(blankToUndefined, z.string().email('must be an email address').optional()),
  ADMIN_PASSWORD: z.preprocess(
    blankToUndefined,
    z.string().min(12, 'must be at least 12 characters').max(200, 'must be at most 200 characters').optional(),
  ),
  SESSION_SECRET: z.preprocess(blankToUndefined, z.string().min(32, 'must be at least 32 characters').optional()),
  LOG_LEVEL: z.preprocess(
    blankToUndefined,
    z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  ),
});

/** Parses the environment once. Throws ConfigError naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    const got = env[variable];
    throw new ConfigError(variable, `${issue?.message ?? 'is invalid'}${got === undefined ? '' : ` (got "${got}")`}`);
  }
  const v = parsed.data;
  if ((v.ADMIN_EMAIL === undefined) !== (v.ADMIN_PASSWORD === undefined)) {
    const missing = v.ADMIN_EMAIL === undefined ? 'ADMIN_EMAIL' : 'ADMIN_PASSWORD';
    throw new ConfigError(missing, 'must be set together with ' + (missing === 'ADMIN_EMAIL' ? 'ADMIN_PASSWORD' : 'ADMIN_EMAIL'));
  }
  const publicUrl = (v.PUBLIC_URL ?? `http://localhost:${v.PORT}`).replace(/\/+$/, '');
  return {
    port: v.PORT,
    host: v.HOST,
    dataDir: v.DATA_DIR,
    databaseFile: `${v.DATA_DIR.replace(/\/+$/, '')}/pharos.db`,
    publicUrl,
    pageName: v.PAGE_NAME,
    timeZone: v.TIME_ZONE,
    adminEmail: v.ADMIN_EMAIL,
    adminPassword: v.ADMIN_PASSWORD,
    sessionSecret: v.SESSION_SECRET,
    logLevel: v.LOG_LEVEL,
  };
}
