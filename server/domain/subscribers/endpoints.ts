import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Deps } from '../../context.js';
import type { Db } from '../../db/open.js';
import { HttpError, Invalid, NotFound } from '../../errors.js';
import { newId } from '../../lib/ids.js';
import { isPublicAddress, PrivateAddressError, resolvePublic } from '../../lib/public-address.js';
import { parseInput } from '../../lib/validate.js';
import type { Actor } from '../access/actors.js';
import { auditedWrite } from '../write-path.js';
import { emailAddress } from './subscribers.js';

/**
 * Endpoints: the places Pharos POSTs to. A webhook subscriber gets Statuspage's payloads, signed with
 * its own secret; a chat channel (Slack, Microsoft Teams, Discord, Google Chat) gets a message in its
 * service's format. Their deliveries are outbox rows (endpoint-deliveries.ts) like every mail.
 */

export const CHAT_KINDS = ['slack', 'teams', 'discord', 'google_chat'] as const;
export type ChatKind = (typeof CHAT_KINDS)[number];
export type EndpointKind = 'webhook' | ChatKind;
export const TOPICS = ['incidents', 'maintenance', 'notices'] as const;
export type Topic = (typeof TOPICS)[number];

export interface Endpoint {
  id: string;
  kind: EndpointKind;
  name: string;
  url: string;
  email: string | null;
  signing_secret: string | null;
  all_components: number;
  topics: string;
  created_by: 'admin' | 'api' | 'public';
  allow_private: number;
  private_address: number;
  verified_at: string | null;
  last_failed_at: string | null;
  state: 'active' | 'disabled';
  failing_since: string | null;
  disabled_at: string | null;
  disabled_reason: string | null;
  created_at: string;
  updated_at: string;
}

const ids = z
  .array(z.string().regex(/^[a-z0-9]{1,64}$/, 'No such component'))
  .max(500)
  .default([]);

export const endpointUrl = z
  .string({ required_error: 'Enter the address to POST to', invalid_type_error: 'Enter the address to POST to' })
  .trim()
  .max(2000, 'Use at most 2,000 characters')
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname !== '' && !u.username && !u.password;
    } catch {
      return false;
    }
  }, 'An address starting with https:// or http:// (no user name or password in it)');

export const webhookInput = z.object({ endpoint: endpointUrl, email: emailAddress, component_ids: ids }).strict();
export type WebhookInput = z.input<typeof webhookInput>;

export const chatInput = z
  .object({
    kind: z.enum(CHAT_KINDS, { errorMap: () => ({ message: 'Choose Slack, Microsoft Teams, Discord or Google Chat' }) }),
    name: z.string().trim().min(1, 'Name the channel, e.g. #incidents').max(100, 'At most 100 characters'),
    url: endpointUrl,
    component_ids: ids,
    topics: z.array(z.enum(TOPICS)).min(1, 'Choose at least one kind of message').max(3),
  })
  .strict();
export type ChatInput = z.input<typeof chatInput>;

export function findEndpoint(db: Db, id: string): Endpoint | undefined {
  return db.prepare('SELECT * FROM endpoints WHERE id = ?').get(id) as Endpoint | undefined;
}

export function getEndpoint(db: Db, id: string, kind?: 'webhook' | 'chat'): Endpoint {
  const e = findEndpoint(db, id);
  if (!e || (kind === 'webhook' && e.kind !== 'webhook') || (kind === 'chat' && e.kind === 'webhook')) throw new NotFound('No such endpoint');
  return e;
}

export function endpointComponents(db: Db, id: string): string[] {
  return db.prepare('SELECT component_id FROM endpoint_components WHERE endpoint_id = ? ORDER BY component_id').pluck().all(id) as string[];
}

/** Webhooks, or chat channels (every other kind). */
const ofKind = (kind: 'webhook' | 'chat') => (kind === 'webhook' ? "kind = 'webhook'" : "kind <> 'webhook'");

export function listEndpoints(db: Db, kind: 'webhook' | 'chat', limit = 100, offset = 0): Endpoint[] {
  return db.prepare(`SELECT * FROM endpoints WHERE ${ofKind(kind)} ORDER BY created_at DESC, id LIMIT ? OFFSET ?`).all(limit, offset) as Endpoint[];
}

export function countEndpoints(db: Db, kind: 'webhook' | 'chat'): number {
  return db
    .prepare(`SELECT COUNT(*) FROM endpoints WHERE ${ofKind(kind)}`)
    .pluck()
    .get() as number;
}

/** At most this many webhooks subscribed by the public, all told: the page is not a traffic generator. */
export const PUBLIC_WEBHOOKS_MAX = 5_000;

/**
 * Checks where an endpoint points before it is stored, and says whether that is a private address. A
 * name that does not resolve is refused, and one that resolves to a loopback, private, link-local or
 * metadata address unless private addresses are allowed (an admin's; or WEBHOOK_ALLOW_PRIVATE).
 * Deliveries check again every time. The public is told no more than "not a public address": what an
 * internal name resolves to is not its business.
 */
async function checkAddress(ctx: Deps<'config'>, field: string, url: string, allowPrivate: boolean, createdBy: Endpoint['created_by']): Promise<boolean> {
  const host = new URL(url).hostname;
  try {
    const addresses = await resolvePublic(host, { allowPrivate, dnsServers: ctx.config.webhookDnsServers });
    return addresses.some((a) => !isPublicAddress(a.address));
  } catch (err) {
    if (createdBy !== 'admin') throw new Invalid({ [field]: 'Not a public address Pharos can deliver to: use a name that resolves to a public IP address' });
    if (err instanceof PrivateAddressError) throw new Invalid({ [field]: `Not a public address: ${err.message}` });
    throw new Invalid({ [field]: `Could not resolve ${host}` });
  }
}

function checkComponents(db: Db, field: string, list: string[]): void {
  const known = new Set(db.prepare('SELECT id FROM components').pluck().all() as string[]);
  const unknown = list.find((id) => !known.has(id));
  if (unknown) throw new Invalid({ [field]: `No such component: ${unknown}` });
}

function insert(db: Db, e: Omit<Endpoint, 'state' | 'failing_since' | 'last_failed_at' | 'disabled_at' | 'disabled_reason'>, components: string[]): void {
  db.prepare(
    `INSERT INTO endpoints (id, kind, name, url, email, signing_secret, all_components, topics, created_by, allow_private, private_address,
       verified_at, created_at, updated_at)
     VALUES (@id, @kind, @name, @url, @email, @signing_secret, @all_components, @topics, @created_by, @allow_private, @private_address,
       @verified_at, @created_at, @updated_at)`,
  ).run(e);
  const add = db.prepare('INSERT OR IGNORE INTO endpoint_components (endpoint_id, component_id) VALUES (?, ?)');
  for (const c of components) add.run(e.id, c);
}

/**
 * A webhook subscriber, from the admin, the v1 API or the public API. Its signing secret is returned
 * here and shown once. An admin may point at private addresses (on-premises receivers; the list says
 * so); an API key or the public only with WEBHOOK_ALLOW_PRIVATE. A public webhook must be on port 80 or
 * 443 (unless WEBHOOK_ALLOW_PRIVATE), its address subscribed once, and `verify` must prove that its
 * receiver asked for it (outbox/hooks/verify.ts: it echoes a challenge) before anything is stored.
 */
export async function createWebhook(
  ctx: Deps<'clock' | 'config' | 'db'>,
  actor: Actor,
  given: WebhookInput,
  createdBy: 'admin' | 'api' | 'public',
  verify?: (url: string) => Promise<void>,
): Promise<{ endpoint: Endpoint; signingSecret: string }> {
  const input = parseInput(webhookInput, given);
  const allowPrivate = createdBy === 'admin' || ctx.config.webhookAllowPrivate;
  checkComponents(ctx.db, 'component_ids', input.component_ids);
  if (createdBy === 'public') {
    const port = new URL(input.endpoint).port;
    if (!ctx.config.webhookAllowPrivate && port !== '' && port !== '80' && port !== '443') {
      throw new Invalid({ endpoint: 'Use the standard port (80 or 443): other ports are not accepted from the public' });
    }
    if (ctx.db.prepare("SELECT 1 FROM endpoints WHERE created_by = 'public' AND url = ?").get(input.endpoint)) {
      throw new Invalid({ endpoint: 'This address is subscribed already' });
    }
    if ((ctx.db.prepare("SELECT COUNT(*) FROM endpoints WHERE created_by = 'public'").pluck().get() as number) >= PUBLIC_WEBHOOKS_MAX) {
      throw new HttpError(503, 'webhooks_full', 'No more webhooks can be subscribed here for now');
    }
  }
  const privateAddress = await checkAddress(ctx, 'endpoint', input.endpoint, allowPrivate, createdBy);
  if (createdBy === 'public') {
    if (!verify) throw new Error('a public webhook must be verified');
    await verify(input.endpoint);
  }
  const secret = `whsec_${randomBytes(24).toString('base64url')}`;
  const now = ctx.clock.now().toISOString();
  const id = newId();
  auditedWrite(ctx, { action: 'webhook.created', actor }, () => {
    insert(
      ctx.db,
      {
        id,
        kind: 'webhook',
        name: input.endpoint,
        url: input.endpoint,
        email: input.email,
        signing_secret: secret,
        all_components: input.component_ids.length ? 0 : 1,
        topics: JSON.stringify(['incidents', 'maintenance']),
        created_by: createdBy,
        allow_private: allowPrivate ? 1 : 0,
        private_address: privateAddress ? 1 : 0,
        verified_at: now,
        created_at: now,
        updated_at: now,
      },
      input.component_ids,
    );
    return { result: undefined, subject: id, detail: { endpoint: input.endpoint, components: input.component_ids, created_by: createdBy } };
  });
  return { endpoint: getEndpoint(ctx.db, id), signingSecret: secret };
}

/** A chat channel (admins only; its address may be private: an on-premises Mattermost, say). */
export async function createChatChannel(ctx: Deps<'clock' | 'config' | 'db'>, actor: Actor, given: ChatInput): Promise<Endpoint> {
  const input = parseInput(chatInput, given);
  checkComponents(ctx.db, 'component_ids', input.component_ids);
  const privateAddress = await checkAddress(ctx, 'url', input.url, true, 'admin');
  const now = ctx.clock.now().toISOString();
  const id = newId();
  auditedWrite(ctx, { action: 'chat.created', actor }, () => {
    insert(
      ctx.db,
      {
        id,
        kind: input.kind,
        name: input.name,
        url: input.url,
        email: null,
        signing_secret: null,
        all_components: input.component_ids.length ? 0 : 1,
        topics: JSON.stringify(input.topics),
        created_by: 'admin',
        allow_private: 1,
        private_address: privateAddress ? 1 : 0,
        verified_at: now,
        created_at: now,
        updated_at: now,
      },
      input.component_ids,
    );
    return { result: undefined, subject: id, detail: { kind: input.kind, name: input.name, components: input.component_ids, topics: input.topics } };
  });
  return getEndpoint(ctx.db, id);
}

/** Removes an endpoint; what was queued for it is dropped with it (marked failed, kept in the log). */
export function deleteEndpoint(ctx: Deps<'clock' | 'db'>, actor: Actor, id: string, kind: 'webhook' | 'chat'): void {
  const e = getEndpoint(ctx.db, id, kind);
  auditedWrite(ctx, { action: kind === 'webhook' ? 'webhook.deleted' : 'chat.deleted', actor }, () => {
    ctx.db
      .prepare(
        "UPDATE deliveries SET state = 'failed', last_error = 'The endpoint was removed', updated_at = ? WHERE endpoint_id = ? AND state IN ('queued', 'sending')",
      )
      .run(ctx.clock.now().toISOString(), id);
    ctx.db.prepare('DELETE FROM endpoints WHERE id = ?').run(id);
    return { result: undefined, subject: id, detail: { kind: e.kind, url: e.url } };
  });
}

/** An admin enables a disabled endpoint again (its receiver is fixed): deliveries start with the next change. */
export function enableEndpoint(ctx: Deps<'clock' | 'db'>, actor: Actor, id: string, kind: 'webhook' | 'chat'): void {
  const e = getEndpoint(ctx.db, id, kind);
  if (e.state === 'active') return;
  const at = ctx.clock.now().toISOString();
  auditedWrite(ctx, { action: kind === 'webhook' ? 'webhook.enabled' : 'chat.enabled', actor }, () => {
    ctx.db
      .prepare(
        "UPDATE endpoints SET state = 'active', failing_since = NULL, last_failed_at = NULL, disabled_at = NULL, disabled_reason = NULL, updated_at = ? WHERE id = ?",
      )
      .run(at, id);
    return { result: undefined, subject: id, detail: { url: e.url, was: e.disabled_reason } };
  });
}
