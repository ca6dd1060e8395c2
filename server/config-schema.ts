import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { canonicalZone } from './lib/time.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The environment's variables, each checked and given its default; config.ts's loadConfig() turns them into a Config. */
const isTimeZone = (value: string) => canonicalZone(value) !== undefined;

export const SECRET_VARIABLES = new Set(['ADMIN_PASSWORD', 'SESSION_SECRET', 'SMTP_URL', 'DKIM_PRIVATE_KEY', 'REDIS_URL', 'REPLICATION_SECRET']);

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be a whole number from ${min} to ${max}`);

export const schema = z.object({
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
  TIME_ZONE: z.preprocess(blankToUndefined, z.string().refine(isTimeZone, 'must be an IANA time zone such as Etc/UTC or Europe/Paris').default('Etc/UTC')),
  ADMIN_EMAIL: z.preprocess(blankToUndefined, z.string().email('must be an email address').optional()),
  ADMIN_PASSWORD: z.preprocess(blankToUndefined, z.string().min(12, 'must be at least 12 characters').max(200, 'must be at most 200 characters').optional()),
  SESSION_SECRET: z.preprocess(blankToUndefined, z.string().min(32, 'must be at least 32 characters').optional()),
  TRUST_PROXY: z.preprocess(blankToUndefined, z.string().max(500).optional()),
  MARKDOWN_IMAGE_HOSTS: z.preprocess(
    blankToUndefined,
    z
      .string()
      .max(2000)
      .transform((s) => s.split(/[\s,]+/).filter(Boolean))
      .refine(
        (list) => list.every((u) => /^https?:\/\/[^/?#\s]+\/?$/.test(u) && URL.canParse(u)),
        'must list origins such as https://grafana.example.com, separated by commas',
      )
      .transform((list) => list.map((u) => new URL(u).origin))
      .default(''),
  ),
  WEBHOOK_DNS_SERVERS: z.preprocess(
    blankToUndefined,
    z
      .string()
      .max(500)
      .transform((s) => s.split(/[\s,]+/).filter(Boolean))
      .refine(
        (list) => list.every((a) => /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:]+\])(:\d{1,5})?$/.test(a)),
        'must list IP addresses, with an optional :port, separated by commas',
      )
      .default(''),
  ),
  API_RATE_LIMIT: z.preprocess(blankToUndefined, wholeNumber(1, 1_000_000).default('60')),
  ALERT_RATE_LIMIT: z.preprocess(blankToUndefined, wholeNumber(1, 1_000_000).default('600')),
  WEBHOOK_ALLOW_PRIVATE: z.preprocess(blankToUndefined, z.enum(['true', 'false'], { message: 'must be true or false' }).default('false')),
  BACKUP_KEEP: z.preprocess(blankToUndefined, wholeNumber(1, 365).default('7')),
  WEB_CONCURRENCY: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^(auto|\d+)$/, 'must be a whole number from 1 to 64, or auto (one per core)')
      .transform((s) => (s === 'auto' ? Math.max(1, Math.min(64, availableParallelism())) : Number(s)))
      .refine((n) => n >= 1 && n <= 64, 'must be a whole number from 1 to 64, or auto (one per core)')
      .default('1'),
  ),
  PHAROS_ROLE: z.preprocess(blankToUndefined, z.enum(['primary', 'edge'], { message: 'must be primary or edge' }).default('primary')),
  REDIS_URL: z.preprocess(
    blankToUndefined,
    z
      .string()
      .url('must be a URL such as redis://127.0.0.1:6379')
      .refine((u) => /^rediss?:\/\//.test(u), 'must start with redis:// or rediss://')
      .optional(),
  ),
  PRIMARY_URL: z.preprocess(
    blankToUndefined,
    z
      .string()
      .url('must be an absolute http:// or https:// URL, such as http://primary:3000')
      .refine((u) => /^https?:\/\//.test(u), 'must be an absolute http:// or https:// URL, such as http://primary:3000')
      .optional(),
  ),
  PAGE_ID: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^[a-z0-9]{1,64}$/, 'must be a page id (Admin → Settings)')
      .optional(),
  ),
  LIVE_MAX_PER_ADDRESS: z.preprocess(blankToUndefined, wholeNumber(1, 1_000_000).default('1000')),
  MAX_CONNECTIONS_PER_ADDRESS: z.preprocess(blankToUndefined, wholeNumber(1, 1_000_000).default('1000')),
  REPLICATION_SECRET: z.preprocess(
    blankToUndefined,
    z.string().min(32, 'must be at least 32 characters').max(500, 'must be at most 500 characters').optional(),
  ),
  SMTP_URL: z.preprocess(
    blankToUndefined,
    z
      .string()
      .url('must be a URL such as smtp://user:pass@mail.example.com:587 or smtps://mail.example.com')
      .refine((u) => /^smtps?:\/\//.test(u), 'must start with smtp:// or smtps://')
      .optional(),
  ),
  SMTP_MAX_CONNECTIONS: z.preprocess(blankToUndefined, wholeNumber(1, 100).default('5')),
  SMTP_RATE_LIMIT: z.preprocess(blankToUndefined, wholeNumber(0, 100000).default('0')),
  MAIL_FROM: z.preprocess(blankToUndefined, z.string().max(300).optional()),
  MAIL_REPLY_TO: z.preprocess(blankToUndefined, z.string().email('must be an email address').optional()),
  MAIL_MAX_AGE_HOURS: z.preprocess(blankToUndefined, wholeNumber(1, 24 * 14).default('24')),
  DKIM_DOMAIN: z.preprocess(blankToUndefined, z.string().optional()),
  DKIM_SELECTOR: z.preprocess(blankToUndefined, z.string().optional()),
  DKIM_PRIVATE_KEY: z.preprocess(blankToUndefined, z.string().optional()),
  DKIM_PRIVATE_KEY_FILE: z.preprocess(blankToUndefined, z.string().optional()),
  LOG_LEVEL: z.preprocess(blankToUndefined, z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info')),
});
