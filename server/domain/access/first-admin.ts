import type { Deps } from '../../context.js';
import { issueSetupToken } from '../page/settings.js';
import { countUsers, createUser } from './users.js';

/**
 * With no operator yet: ADMIN_EMAIL/ADMIN_PASSWORD create the first admin; otherwise a one-time
 * setup link is issued (a new one at each start until the first admin exists) and returned.
 */
export async function ensureFirstAdmin(ctx: Deps<'clock' | 'config' | 'db' | 'log' | 'passwords'>): Promise<string | undefined> {
  if (countUsers(ctx.db) > 0) return undefined;
  const { adminEmail, adminPassword } = ctx.config;
  if (adminEmail && adminPassword) {
    const user = await createUser(ctx, { type: 'system' }, { email: adminEmail, password: adminPassword, role: 'admin' });
    ctx.log.info({ user: user.email }, `created the first admin account (${user.email}) from ADMIN_EMAIL`);
    return undefined;
  }
  return `${ctx.config.publicUrl}/setup?token=${issueSetupToken(ctx.db)}`;
}
