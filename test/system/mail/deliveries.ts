import assert from 'node:assert/strict';
import type { Delivery } from '../../../server/domain/subscribers/outbox.js';
import { importCsv } from '../../../server/domain/subscribers/import-export.js';
import type { TestPharos } from '../../helpers/pharos.js';
import type { TestSmtp, Verdict } from '../../helpers/smtp.js';

/**
 * Helpers the delivery-failure tests share (retry-backoff, permanent-failures, smtp-outage and
 * dead-letters, next to this file): reading the deliveries table, adding confirmed subscribers,
 * moving the fake clock, and making the test SMTP server answer as a test wants.
 */

export const system = { type: 'system' } as const;
export const MINUTE = 60_000;
export const ACCEPT: Verdict = { accept: true };

export function deliveriesTo(p: TestPharos, recipient: string): Delivery[] {
  return p.ctx.db.prepare('SELECT * FROM deliveries WHERE recipient = ? ORDER BY id').all(recipient) as Delivery[];
}

export function onlyDeliveryTo(p: TestPharos, recipient: string): Delivery {
  const rows = deliveriesTo(p, recipient);
  assert.equal(rows.length, 1, `one delivery row for ${recipient}`);
  return rows[0] as Delivery;
}

export function subscriberState(p: TestPharos, email: string): string {
  return p.ctx.db.prepare('SELECT state FROM subscribers WHERE email = ?').pluck().get(email) as string;
}

export function addConfirmed(p: TestPharos, emails: string[]): void {
  const result = importCsv(p.ctx, system, emails.join('\n'), true);
  assert.equal(result.added, emails.length);
}

/** Moves the fake clock to an absolute time (ms). */
export function clockTo(p: TestPharos, ms: number): void {
  p.clock.set(new Date(ms).toISOString());
}

/** Counts, per recipient, how many times the SMTP server was offered a message, whatever it answered. */
export function offers(smtp: TestSmtp, verdict: (to: string, count: number) => Verdict): Map<string, number> {
  const seen = new Map<string, number>();
  smtp.decide = (to, count) => {
    seen.set(to, count);
    return verdict(to, count);
  };
  return seen;
}
