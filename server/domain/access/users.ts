import { z } from 'zod';
import type { Db } from '../../db/open.js';
import { Invalid, NotFound } from '../../errors.js';
import { newId } from '../../lib/ids.js';
import type { Deps } from '../../context.js';
import { auditedWrite } from '../write-path.js';
import type { Actor } from './actors.js';
import type { PasswordHasher } from './passwords.js';
import { endUserSessions } from './sessions.js';
import { enumOf, parseInput } from '../../lib/validate.js';

export const ROLES = ['admin', 'operator'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  created_at: string;
  updated_at: string;
}

const email = z
  .string({ required_error: 'Enter an email address', invalid_type_error: 'Enter an email address' })
  .trim()
  .max(254, 'Use at most 254 characters')
  .email('Enter a valid email address')
  .transform((s) => s.toLowerCase());

export const password = z
  .string({ required_error: 'Enter a password', invalid_type_error: 'Enter a password' })
  .min(12, 'Use at least 12 characters')
  .max(200, 'Use at most 200 characters');

export const newUserInput = z.object({
  email,
  name: z.string().trim().max(100, 'Use at most 100 characters').default(''),
  password,
  role: enumOf(ROLES, 'Role').default('operator'),
});
export type NewUser = z.input<typeof newUserInput>;

export function countUsers(db: Db): number {
  return db.prepare('SELECT COUNT(*) FROM users').pluck().get() as number;
}

export function listUsers(db: Db): User[] {
  return db.prepare('SELECT id, email, name, role, created_at, updated_at FROM users ORDER BY email').all() as User[];
}

export function findUser(db: Db, id: string): User | undefined {
  return db.prepare('SELECT id, email, name, role, created_at, updated_at FROM users WHERE id = ?').get(id) as User | undefined;
}

export function getUser(db: Db, id: string): User {
  const user = findUser(db, id);
  if (!user) throw new NotFound('No such user');
  return user;
}

export interface PreparedUser {
  input: z.output<typeof newUserInput>;
  hash: string;
}

/** Validates and hashes (slow, asynchronous) before anything is written. */
export async function prepareUser(db: Db, passwords: PasswordHasher, given: NewUser): Promise<PreparedUser> {
  const input = parseInput(newUserInput, given);
  if (db.prepare('SELECT 1 FROM users WHERE email = ?').get(input.email)) {
    throw new Invalid({ email: 'An account with this email already exists' });
  }
  return { input, hash: await passwords.hash(input.password) };
}

/** Writes a prepared user (synchronous, so it can sit inside a transaction with its preconditions). */
export function insertUser(db: Db, prepared: PreparedUser, now: Date): User {
  const { input, hash } = prepared;
  const id = newId();
  const at = now.toISOString();
  try {
    db.prepare('INSERT INTO users (id, email, name, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      id,
      input.email,
      input.name,
      hash,
      input.role,
      at,
      at,
    );
  } catch (err) {
    // Another request took the address while the password was being hashed.
    if (err instanceof Error && /UNIQUE/.test(err.message)) throw new Invalid({ email: 'An account with this email already exists' });
    throw err;
  }
  return getUser(db, id);
}

/** Creates an account (the password hashed first, outside the transaction), audited with who created it. */
export async function createUser(ctx: Deps<'db' | 'clock' | 'passwords'>, actor: Actor, given: NewUser): Promise<User> {
  const prepared = await prepareUser(ctx.db, ctx.passwords, given);
  return auditedWrite(ctx, { action: 'user.created', actor }, () => {
    const user = insertUser(ctx.db, prepared, ctx.clock.now());
    return { result: user, subject: user.email, detail: { role: user.role } };
  });
}

/** The account with this address and its password hash, if any (device cookies are bound to both). */
export function credentialOf(db: Db, emailAddress: string): { id: string; password_hash: string } | undefined {
  return db.prepare('SELECT id, password_hash FROM users WHERE email = ?').get(emailAddress.trim().toLowerCase()) as
    { id: string; password_hash: string } | undefined;
}

/**
 * The user for this email and password, or undefined; as slow for an unknown email as for a wrong
 * password. Throws HashingBusy when too many checks wait already.
 */
export async function authenticate(
  db: Db,
  passwords: PasswordHasher,
  emailAddress: string,
  pw: string,
  opts: { priority?: boolean } = {},
): Promise<User | undefined> {
  const row = credentialOf(db, emailAddress);
  if (!row) return passwords.verifyNothing(pw, opts).then(() => undefined);
  return (await passwords.verify(pw, row.password_hash, opts)) ? getUser(db, row.id) : undefined;
}

function adminCount(db: Db): number {
  return db.prepare("SELECT COUNT(*) FROM users WHERE role = 'admin'").pluck().get() as number;
}

/** A role to give (the users page checks it with the rest of its form). */
export const roleInput = z.object({ role: enumOf(ROLES, 'Role') });

/**
 * Changes a role. A change of privilege ends the user's sessions (OWASP): they sign in again, with the
 * new role, and their live connections close.
 */
export function setRole(ctx: Deps<'db' | 'clock' | 'bus'>, actor: Actor, id: string, role: unknown): User {
  const parsed = parseInput(roleInput, { role }).role;
  const { before, after } = auditedWrite(ctx, { action: 'user.role_changed', actor }, () => {
    const before = getUser(ctx.db, id);
    if (before.role === 'admin' && parsed !== 'admin' && adminCount(ctx.db) === 1) {
      throw new Invalid({ role: 'Pharos needs at least one admin' });
    }
    ctx.db.prepare('UPDATE users SET role = ?, updated_at = ? WHERE id = ?').run(parsed, ctx.clock.now().toISOString(), id);
    if (parsed !== before.role) endUserSessions(ctx.db, id);
    const after = getUser(ctx.db, id);
    return { result: { before, after }, subject: after.email, detail: { before: { role: before.role }, after: { role: after.role } } };
  });
  if (after.role !== before.role) ctx.bus.emit('sessions.ended', { userId: id });
  return after;
}

/** Deletes an account (its sessions go with it, and their live connections close). */
export function deleteUser(ctx: Deps<'db' | 'clock' | 'bus'>, actor: Actor, id: string): void {
  auditedWrite(ctx, { action: 'user.deleted', actor }, () => {
    const user = getUser(ctx.db, id);
    if (user.role === 'admin' && adminCount(ctx.db) === 1) throw new Invalid({ form: 'Pharos needs at least one admin' });
    ctx.db.prepare('DELETE FROM users WHERE id = ?').run(id);
    return { result: undefined, subject: user.email, detail: { before: { role: user.role, name: user.name } } };
  });
  ctx.bus.emit('sessions.ended', { userId: id });
}
