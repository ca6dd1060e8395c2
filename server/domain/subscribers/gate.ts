import { z } from 'zod';
import type { Deps } from '../../context.js';
import type { Db } from '../../db/open.js';
import { commitChange } from '../write-path.js';
import { Invalid } from '../../errors.js';
import type { Actor } from '../access/actors.js';
import { deleteSetting, getSetting, setSetting } from '../page/settings.js';
import { enumOf, parseInput } from '../../lib/validate.js';

/**
 * Who may subscribe: open, restricted to listed email domains, or paused. When sign-ups flood in (the
 * form under attack), Pharos first slows their mail down to the threshold's rate, and if that queue
 * grows past 10 minutes switches itself to the chosen protective mode and says so in the admin.
 */
export const GATE_MODES = ['open', 'restricted', 'paused'] as const;
export type GateMode = (typeof GATE_MODES)[number];

export interface Gate {
  mode: GateMode;
  domains: string[];
  /** Sign-ups that send mail per minute, across all addresses, above which their mail is paced (then the gate closes); 0 turns it off. */
  threshold: number;
  autoMode: Exclude<GateMode, 'open'>;
  /** Set while the gate is closed because of a burst, until an admin opens it again. */
  autoSwitchedAt: string | undefined;
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export const gateInput = z.object({
  mode: enumOf(GATE_MODES, 'Mode'),
  // A list is taken too: this schema's own output, parsed again by the domain.
  domains: z.preprocess(
    (v) => (Array.isArray(v) ? v.join('\n') : v),
    z
      .string({ invalid_type_error: 'List domains, one per line' })
      .max(10_000)
      .default('')
      .transform((s) => [
        ...new Set(
          s
            .split(/[\s,;]+/)
            .map((d) => d.trim().toLowerCase().replace(/^@/, ''))
            .filter(Boolean),
        ),
      ])
      .refine((list) => list.every((d) => DOMAIN.test(d)), 'Each line must be a domain such as example.com'),
  ),
  threshold: z.coerce
    .number({ invalid_type_error: 'Enter a whole number' })
    .int('Enter a whole number')
    .min(0, 'Enter 0 (off) or more')
    .max(100_000, 'At most 100000'),
  auto_mode: enumOf(['restricted', 'paused'] as const, 'Automatic mode'),
});
export type GateInput = z.input<typeof gateInput>;

export function getGate(db: Db): Gate {
  const mode = getSetting(db, 'subscriptions.mode');
  const autoMode = getSetting(db, 'subscriptions.auto_mode');
  return {
    mode: GATE_MODES.includes(mode as GateMode) ? (mode as GateMode) : 'open',
    domains: (getSetting(db, 'subscriptions.domains') ?? '').split('\n').filter(Boolean),
    threshold: Number(getSetting(db, 'subscriptions.threshold') ?? 60),
    autoMode: autoMode === 'restricted' ? 'restricted' : 'paused',
    autoSwitchedAt: getSetting(db, 'subscriptions.auto_switched_at'),
  };
}

/** The gate shows on the public form, so a change goes through the one write path like any public change. */
export function setGate(ctx: Deps<'bus' | 'clock' | 'db'>, actor: Actor, given: GateInput): Gate {
  const { db } = ctx;
  const input = parseInput(gateInput, given);
  if (input.mode === 'restricted' && input.domains.length === 0) {
    throw new Invalid({ domains: 'List at least one domain to restrict sign-ups to' });
  }
  const before = getGate(db);
  commitChange(ctx, { cause: 'subscriptions.gate_changed', actor }, () => {
    setSetting(db, 'subscriptions.mode', input.mode);
    setSetting(db, 'subscriptions.domains', input.domains.join('\n'));
    setSetting(db, 'subscriptions.threshold', String(input.threshold));
    setSetting(db, 'subscriptions.auto_mode', input.auto_mode);
    // An admin's choice ends an automatic switch.
    deleteSetting(db, 'subscriptions.auto_switched_at');
    return { result: undefined, ids: [], audit: { subject: input.mode, detail: { before, after: input } } };
  });
  return getGate(db);
}

/** Closes the gate after a burst of sign-ups; recorded in the audit log and shown in the admin until reopened. */
export function closeGateAutomatically(ctx: Deps<'bus' | 'clock' | 'db'>, burst: { signupsLastMinute: number; queuedMinutes: number }): Gate {
  const { db } = ctx;
  const now = ctx.clock.now();
  const gate = getGate(db);
  if (gate.mode !== 'open') return gate;
  const mode = gate.autoMode === 'restricted' && gate.domains.length > 0 ? 'restricted' : 'paused';
  const system = { type: 'system' } as const;
  commitChange(ctx, { cause: 'subscriptions.gate_closed_automatically', actor: system }, () => {
    setSetting(db, 'subscriptions.mode', mode);
    setSetting(db, 'subscriptions.auto_switched_at', now.toISOString());
    return { result: undefined, ids: [], audit: { subject: mode, detail: { ...burst, threshold: gate.threshold } } };
  });
  return getGate(db);
}

/** Whether this address may subscribe now: 'ok', or why not. */
export function admits(gate: Gate, email: string): 'ok' | 'paused' | 'restricted' {
  if (gate.mode === 'paused') return 'paused';
  if (gate.mode === 'restricted') {
    const domain = email.trim().toLowerCase().split('@').pop() ?? '';
    return gate.domains.includes(domain) ? 'ok' : 'restricted';
  }
  return 'ok';
}
