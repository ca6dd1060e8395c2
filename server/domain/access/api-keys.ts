import { createHash, randomBytes } from 'node:crypto';
import type { Deps } from '../../context.js';
import type { Db } from '../../db/open.js';
import { auditedWrite } from '../write-path.js';
import type { Actor } from './actors.js';
import { NotFound } from '../../errors.js';
import { newId } from '../../lib/ids.js';
import { nameText, parseInput } from '../../lib/validate.js';
import { z } from 'zod';

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  created_by: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  /** Its alerts open drafts for an operator to publish, not incidents (Admin → API keys). */
  hold_alerts: number;
}

const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

export function listApiKeys(db: Db): ApiKey[] {
  return db
    .prepare('SELECT id, name, prefix, created_by, created_at, last_used_at, revoked_at, hold_alerts FROM api_keys ORDER BY created_at DESC')
    .all() as ApiKey[];
}

export function getApiKey(db: Db, id: string): ApiKey {
  const key = db.prepare('SELECT id, name, prefix, created_by, created_at, last_used_at, revoked_at, hold_alerts FROM api_keys WHERE id = ?').get(id) as
    ApiKey | undefined;
  if (!key) throw new NotFound('No such API key');
  return key;
}

export const apiKeyInput = z.object({ name: nameText(100) });
export type ApiKeyInput = z.input<typeof apiKeyInput>;

/** Creates a key and returns it in clear this one time; only its hash is stored (and the key never audited). */
export function createApiKey(ctx: Deps<'db' | 'clock'>, actor: Actor, given: ApiKeyInput): { apiKey: ApiKey; key: string } {
  const { name } = parseInput(apiKeyInput, given);
  return auditedWrite(ctx, { action: 'api_key.created', actor }, () => {
    const key = `pharos_${randomBytes(32).toString('base64url')}`;
    const id = newId();
    ctx.db
      .prepare('INSERT INTO api_keys (id, name, key_hash, prefix, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, name, hashKey(key), key.slice(0, 11), actor.type === 'user' ? actor.email : null, ctx.clock.now().toISOString());
    const apiKey = getApiKey(ctx.db, id);
    return { result: { apiKey, key }, subject: apiKey.name, detail: { id } };
  });
}

export function revokeApiKey(ctx: Deps<'db' | 'clock'>, actor: Actor, id: string): void {
  auditedWrite(ctx, { action: 'api_key.revoked', actor }, () => {
    const result = ctx.db.prepare('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?').run(ctx.clock.now().toISOString(), id);
    if (result.changes === 0) throw new NotFound('No such API key');
    return { result: undefined, subject: id };
  });
}

/** The live key matching this secret, or undefined (unknown or revoked). */
export function findApiKey(db: Db, key: string, now: Date): ApiKey | undefined {
  const row = db
    .prepare('SELECT id, name, prefix, created_by, created_at, last_used_at, revoked_at, hold_alerts FROM api_keys WHERE key_hash = ?')
    .get(hashKey(key)) as ApiKey | undefined;
  if (!row || row.revoked_at) return undefined;
  if (!row.last_used_at || now.getTime() - Date.parse(row.last_used_at) > 60_000) {
    db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?').run(now.toISOString(), row.id);
  }
  return row;
}

/** Whether a key's alerts open drafts (held for an operator's approval) or incidents (the default). */
export function setHoldAlerts(ctx: Deps<'db' | 'clock'>, actor: Actor, id: string, hold: boolean): void {
  const key = getApiKey(ctx.db, id);
  auditedWrite(ctx, { action: hold ? 'api_key.alerts_held' : 'api_key.alerts_published', actor }, () => {
    ctx.db.prepare('UPDATE api_keys SET hold_alerts = ? WHERE id = ?').run(hold ? 1 : 0, id);
    return { result: undefined, subject: key.name };
  });
}
