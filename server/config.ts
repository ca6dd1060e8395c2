import { readFileSync } from 'node:fs';
import { LOG_LEVELS, schema, SECRET_VARIABLES } from './config-schema.js';

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
  /** Express's "trust proxy": false, or hops/addresses (e.g. "loopback") when behind a reverse proxy. */
  trustProxy: boolean | number | string;
  /** Live (socket.io) connections held at once from one client network. */
  liveMaxPerAddress: number;
  /** HTTP connections (of any kind) held at once from one client network (IPv6 by /64); TRUST_PROXY's addresses are exempt. */
  maxConnectionsPerAddress: number;
  /** The secret a primary signs what it publishes to Redis with, and its edges check: Redis access alone cannot put words on the page. */
  replicationSecret: string | undefined;
  /** Origins (https://grafana.example.com) whose images Markdown may show; the CSP's img-src lists them. */
  markdownImageHosts: string[];
  /** Webhooks the public subscribes may point at loopback, private and link-local addresses (tests, closed networks). */
  webhookAllowPrivate: boolean;
  /** Management API requests a key may make in any 60 s (Statuspage: one a second, averaged over a minute). */
  apiRateLimit: number;
  /** Alert notifications a key may send in any 60 s, beyond which the sender is told to retry (503). */
  alertRateLimit: number;
  /** DNS servers that resolve the names of webhooks the public subscribed ("host" or "host:port"); empty: the system's. */
  webhookDnsServers: string[];
  /** HTTP worker processes on this machine (node:cluster); 1: everything in one process. */
  webConcurrency: number;
  /** primary: owns the database (the default); edge: serves the replicated read model, forwards the rest. */
  role: 'primary' | 'edge';
  /** Redis, where a primary publishes its read model and edges read it; undefined: no replication. */
  redisUrl: string | undefined;
  /** An edge's primary, where it forwards what it does not serve. */
  primaryUrl: string | undefined;
  /** The page an edge serves, when Redis holds more than one (its page id). */
  pageIdToServe: string | undefined;
  /** How many daily backups to keep in DATA_DIR/backups. */
  backupKeep: number;
  mail: MailConfig;
}

export interface MailConfig {
  /** smtp:// (STARTTLS when offered) or smtps://; undefined: messages are written as .eml files to DATA_DIR/mail. */
  smtpUrl: string | undefined;
  maxConnections: number;
  /** Messages per second across the pool; 0 means no limit. */
  rateLimit: number;
  from: string;
  replyTo: string | undefined;
  /** How long a message is retried before it is dead-lettered. */
  maxAgeMs: number;
  dkim: { domainName: string; keySelector: string; privateKey: string } | undefined;
}

export { LOG_LEVELS };
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`Invalid configuration: ${variable} ${detail}`);
  }
}

/** Parses the environment once. Throws ConfigError naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    const got = env[variable];
    // Secrets are never echoed: start-up errors end up in logs.
    const shown = got === undefined || SECRET_VARIABLES.has(variable) ? '' : ` (got "${got}")`;
    throw new ConfigError(variable, `${issue?.message ?? 'is invalid'}${shown}`);
  }
  const v = parsed.data;
  if ((v.ADMIN_EMAIL === undefined) !== (v.ADMIN_PASSWORD === undefined)) {
    const missing = v.ADMIN_EMAIL === undefined ? 'ADMIN_EMAIL' : 'ADMIN_PASSWORD';
    throw new ConfigError(missing, 'must be set together with ' + (missing === 'ADMIN_EMAIL' ? 'ADMIN_PASSWORD' : 'ADMIN_EMAIL'));
  }
  if (v.PHAROS_ROLE === 'edge') {
    if (!v.REDIS_URL) throw new ConfigError('REDIS_URL', 'must be set on an edge (PHAROS_ROLE=edge): the read model comes from Redis');
    if (!v.PRIMARY_URL) throw new ConfigError('PRIMARY_URL', 'must be set on an edge (PHAROS_ROLE=edge): the admin, the API and forms go there');
  }
  if (v.REDIS_URL && !v.REPLICATION_SECRET) {
    throw new ConfigError(
      'REPLICATION_SECRET',
      'must be set with REDIS_URL, the same on the primary and its edges: edges serve only what the primary signed with it',
    );
  }
  const publicUrl = (v.PUBLIC_URL ?? `http://localhost:${v.PORT}`).replace(/\/+$/, '');
  const host = new URL(publicUrl).hostname;
  const from = v.MAIL_FROM ?? `${v.PAGE_NAME} <status@${host.includes('.') ? host : `${host}.invalid`}>`;
  if (!/<?[^<>\s@]+@[^<>\s@]+>?\s*$/.test(from))
    throw new ConfigError('MAIL_FROM', `must be an address such as "ACME Status <status@example.com>" (got "${from}")`);
  const dkimSet = [v.DKIM_DOMAIN, v.DKIM_SELECTOR, v.DKIM_PRIVATE_KEY ?? v.DKIM_PRIVATE_KEY_FILE].filter(Boolean).length;
  if (dkimSet > 0 && dkimSet < 3) {
    throw new ConfigError('DKIM_DOMAIN', 'DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY (or DKIM_PRIVATE_KEY_FILE) must be set together');
  }
  let dkimKey = v.DKIM_PRIVATE_KEY?.replace(/\\n/g, '\n');
  if (!dkimKey && v.DKIM_PRIVATE_KEY_FILE) {
    try {
      dkimKey = readFileSync(v.DKIM_PRIVATE_KEY_FILE, 'utf8');
    } catch (err) {
      throw new ConfigError('DKIM_PRIVATE_KEY_FILE', `cannot be read: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (dkimKey && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(dkimKey)) {
    throw new ConfigError(v.DKIM_PRIVATE_KEY ? 'DKIM_PRIVATE_KEY' : 'DKIM_PRIVATE_KEY_FILE', 'must be a PEM private key');
  }
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
    backupKeep: v.BACKUP_KEEP,
    webConcurrency: v.WEB_CONCURRENCY,
    role: v.PHAROS_ROLE,
    redisUrl: v.REDIS_URL,
    primaryUrl: v.PRIMARY_URL?.replace(/\/+$/, ''),
    pageIdToServe: v.PAGE_ID,
    markdownImageHosts: v.MARKDOWN_IMAGE_HOSTS,
    webhookAllowPrivate: v.WEBHOOK_ALLOW_PRIVATE === 'true',
    apiRateLimit: v.API_RATE_LIMIT,
    alertRateLimit: v.ALERT_RATE_LIMIT,
    webhookDnsServers: v.WEBHOOK_DNS_SERVERS,
    liveMaxPerAddress: v.LIVE_MAX_PER_ADDRESS,
    maxConnectionsPerAddress: v.MAX_CONNECTIONS_PER_ADDRESS,
    replicationSecret: v.REPLICATION_SECRET,
    trustProxy:
      v.TRUST_PROXY === undefined || v.TRUST_PROXY === 'false'
        ? false
        : v.TRUST_PROXY === 'true'
          ? true
          : /^\d+$/.test(v.TRUST_PROXY)
            ? Number(v.TRUST_PROXY)
            : v.TRUST_PROXY,
    mail: {
      smtpUrl: v.SMTP_URL,
      maxConnections: v.SMTP_MAX_CONNECTIONS,
      rateLimit: v.SMTP_RATE_LIMIT,
      from,
      replyTo: v.MAIL_REPLY_TO,
      maxAgeMs: v.MAIL_MAX_AGE_HOURS * 3_600_000,
      dkim: dkimKey && v.DKIM_DOMAIN && v.DKIM_SELECTOR ? { domainName: v.DKIM_DOMAIN, keySelector: v.DKIM_SELECTOR, privateKey: dkimKey } : undefined,
    },
  };
}
