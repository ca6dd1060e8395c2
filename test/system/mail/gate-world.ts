import assert from 'node:assert/strict';
import request from 'supertest';
import { createComponent } from '../../../server/domain/page/components.js';
import { createIncident } from '../../../server/domain/incidents/writes.js';
import { importCsv } from '../../../server/domain/subscribers/import-export.js';
import { advanceActive, PASSWORD, submit, type TestPharos } from '../../helpers/pharos.js';
import { startMailWorld } from '../../helpers/mail-world.js';

/**
 * What the registration gate tests (gate-*.test.ts, sign-up-ip-limit.test.ts) share: what the pages
 * say, counts of what a sign-up created, the gate's settings, and a Pharos behind a trusted proxy with
 * an existing subscriber and the means to sign up, save the gate and move the clock on.
 */

const system = { type: 'system' } as const;
export const PAUSED = /New subscriptions are paused/;
export const SENT = /Check your inbox/;
export const FORM = /<form method="post" action="\/subscribe"/;
export const BANNER = /closed automatically/;

export const count = (p: TestPharos, table: 'subscribers' | 'deliveries') => p.ctx.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
export const exists = (p: TestPharos, email: string) => Boolean(p.ctx.db.prepare('SELECT 1 FROM subscribers WHERE email = ?').get(email));
export const gateSettings = (p: TestPharos) =>
  Object.fromEntries(
    (p.ctx.db.prepare("SELECT key, value FROM settings WHERE key LIKE 'subscriptions.%'").all() as { key: string; value: string }[]).map((r) => [
      r.key,
      r.value,
    ]),
  );

/** The n-th sign-up of a burst, from one of many networks (10 each, the per-network limit). */
export const fromBurst = (n: number) => `198.51.100.${1 + Math.floor(n / 10)}`;

/** A Pharos sending to a real SMTP server, behind a trusted proxy, with a signed-in admin and operator. */
export async function startGateWorld() {
  // Behind a trusted proxy (loopback): X-Forwarded-For stands for the sign-ups' own networks.
  const { smtp, p, admin, operator } = await startMailWorld({ TRUST_PROXY: 'loopback' });
  const api = createComponent(p.ctx, system, { name: 'API' }).id;
  // An existing subscriber, confirmed before any of this, at a domain the restricted mode will not list.
  const imported = importCsv(p.ctx, system, 'member@existing.net\n', true);
  assert.equal(imported.added, 1);

  const subscribe = (email: string, from = '127.0.0.1') =>
    request(p.app).post('/subscribe').set('X-Forwarded-For', from).type('form').send({ email, scope: 'all' });
  const saveGate = async (fields: { mode: string; domains?: string; threshold?: string; auto_mode?: string }) => {
    const res = await submit(admin, '/admin/settings', '/admin/settings/subscriptions', {
      confirm_password: PASSWORD,
      domains: '',
      threshold: '60',
      auto_mode: 'paused',
      ...fields,
    });
    assert.equal(res.status, 303, `saving the gate answered ${res.status}: ${res.text.slice(0, 500)}`);
    return res;
  };

  /** Each test starts with a fresh per-IP and global window (the limiter follows the app's clock). */
  // Past the sign-up limits' 10-minute windows; the signed-in operators keep working meanwhile.
  const freshWindows = () => advanceActive(p, [admin, operator], 11 * 60_000);

  /** An incident for every component; resolves once the existing subscriber has its mail. */
  async function existingSubscriberStillMailed(name: string): Promise<void> {
    const before = smtp.to('member@existing.net').length;
    createIncident(p.ctx, system, { name, status: 'investigating', body: 'Looking into it.', components: { [api]: 'major_outage' } });
    await smtp.until(() => smtp.to('member@existing.net').length === before + 1);
    assert.match(smtp.to('member@existing.net').at(-1)?.mail.subject ?? '', new RegExp(name));
  }
  return { smtp, p, admin, operator, subscribe, saveGate, freshWindows, existingSubscriberStillMailed };
}

export type GateWorld = Awaited<ReturnType<typeof startGateWorld>>;
