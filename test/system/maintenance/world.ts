import assert from 'node:assert/strict';
import type { Actor } from '../../../server/domain/access/actors.js';
import { createComponent, findComponent } from '../../../server/domain/page/components.js';
import { getIncident } from '../../../server/domain/incidents/queries.js';
import { confirmToken } from '../../../server/domain/subscribers/tokens.js';
import { confirmSubscription, subscribe } from '../../../server/domain/subscribers/subscribers.js';
import { maintenanceJob } from '../../../server/jobs/maintenance.js';
import { runJob, type JobRun } from '../../../server/jobs/schedule.js';
import { addApiKey, addUser, signIn, submit, type Agent, type TestPharos, startPharos } from '../../helpers/pharos.js';
import { TestSmtp, type Received } from '../../helpers/smtp.js';

/**
 * The world the maintenance transition tests share (see the *.test.ts files next to this one): a Pharos
 * with an injected clock, a real SMTP server, three components and three subscribers, and the helpers
 * that move the clock, run the maintenance job as cron would, and check the mail that went out.
 * Each test file starts its own world in its own before() and stops it in its own after().
 */

export const system: Actor = { type: 'system' };
export const ALL = 'all@example.com';
export const API_ONLY = 'api@example.com';
export const BILLING_ONLY = 'billing@example.com';
const ADMIN = 'admin@example.com';

export type MailWhat = 'reminder' | 'scheduled' | 'in_progress' | 'verifying' | 'completed' | 'cancelled';
const LABELS: Record<string, MailWhat> = {
  Scheduled: 'scheduled',
  'In progress': 'in_progress',
  Verifying: 'verifying',
  Completed: 'completed',
  Cancelled: 'cancelled',
};

export interface World {
  p: TestPharos;
  smtp: TestSmtp;
  api: string;
  web: string;
  billing: string;
  key: string;
  /** An admin session signed in now: sessions expire as the injected clock moves on by days. */
  admin(): Promise<Agent>;
}

/** A Pharos in Europe/Paris with three components and three confirmed subscribers: everything, the API only, billing only. */
export async function startWorld(): Promise<World> {
  const smtp = new TestSmtp();
  await smtp.start();
  const p = await startPharos({
    env: { SMTP_URL: smtp.url, PUBLIC_URL: 'http://status.acme.test', PAGE_NAME: 'ACME Status', TIME_ZONE: 'Europe/Paris' },
  });
  const api = createComponent(p.ctx, system, { name: 'API' }).id;
  const web = createComponent(p.ctx, system, { name: 'Web app' }).id;
  const billing = createComponent(p.ctx, system, { name: 'Billing' }).id;
  confirmed(p, ALL, undefined);
  confirmed(p, API_ONLY, [api]);
  confirmed(p, BILLING_ONLY, [billing]);
  await addUser(p, ADMIN, 'admin');
  const admin = () => signIn(p, ADMIN);
  const key = addApiKey(p);
  // Let the confirmation messages go (or be skipped) before counting anything.
  p.ctx.mail.wake();
  await p.ctx.mail.idle();
  return { p, smtp, api, web, billing, admin, key };
}

export async function stopWorld(w: World | undefined): Promise<void> {
  await w?.p.close();
  await w?.smtp.stop();
}

/** A subscriber confirmed through their (computed) confirmation link, as a click would. */
function confirmed(p: TestPharos, email: string, components: string[] | undefined): void {
  subscribe(p.ctx, components ? { email, all: false, components } : { email, all: true });
  const row = p.ctx.db.prepare('SELECT id, confirm_nonce FROM subscribers WHERE email = ?').get(email) as { id: string; confirm_nonce: string };
  assert.ok(confirmSubscription(p.ctx, confirmToken(p.ctx.secret, row.id, row.confirm_nonce)), `${email} confirmed`);
}

/** What a maintenance message is, from its first line: its reminder, or an update with the state it announces. */
function what(r: Received): MailWhat {
  const text = r.mail.text ?? '';
  if (/^Reminder: scheduled maintenance/.test(text.trim())) return 'reminder';
  const m = /^(Scheduled|In progress|Verifying|Completed|Cancelled) - /.exec(text);
  assert.ok(m?.[1], `a maintenance message names its status:\n${text}`);
  return LABELS[m[1]] as MailWhat;
}

/** Every message about a window has one subject, "[Maintenance] <name> · <page>". */
export const isMaintenance = (r: Received) => /^\[Maintenance\] /.test(r.mail.subject ?? '');

/** Maintenance messages received since `mark`, as sorted "recipient what" strings. */
function mailSince(w: World, mark: number): string[] {
  return w.smtp.received
    .slice(mark)
    .filter(isMaintenance)
    .map((r) => `${r.to} ${what(r)}`)
    .sort();
}

/** Drains the mail worker; everything due has then been accepted (or refused) by the SMTP server. */
export async function drain(w: World): Promise<void> {
  w.p.ctx.mail.wake();
  await w.p.ctx.mail.idle();
}

/** Waits until the expected maintenance messages arrived since `mark`, then checks that nothing else did. */
export async function expectMail(w: World, mark: number, expected: string[], where: string): Promise<void> {
  await drain(w);
  // Drained means delivered, so this wait is only a safety margin; a shortfall is reported by the assertion below.
  await w.smtp.until(() => mailSince(w, mark).length >= expected.length, 2000).catch(() => undefined);
  await drain(w);
  assert.deepEqual(mailSince(w, mark), [...expected].sort(), where);
}

export const to = (kind: MailWhat, ...recipients: string[]) => recipients.map((r) => `${r} ${kind}`);

/** Moves the clock (if asked), runs the maintenance job once as cron would, and lets the mail go. */
export async function tick(w: World, at?: string): Promise<JobRun> {
  if (at) w.p.clock.set(at);
  const run = await runJob(w.p.ctx, maintenanceJob);
  assert.ok(run, 'the job ran');
  assert.equal(run.result, 'ok', `the maintenance job succeeded: ${run.error ?? ''}`);
  await drain(w);
  return run;
}

export const statusOf = (w: World, id: string) => getIncident(w.p.ctx.db, id).status;
export const componentStatus = (w: World, id: string) => findComponent(w.p.ctx.db, id)?.status;
export const count = (w: World, sql: string, ...args: unknown[]) =>
  w.p.ctx.db
    .prepare(sql)
    .pluck()
    .get(...args) as number;
export const remindersQueued = (w: World, id: string) => count(w, "SELECT COUNT(*) FROM deliveries WHERE kind = 'maintenance_reminder' AND subject_id = ?", id);

/** Schedules through the admin form as an operator types it: local times in the page's zone (Europe/Paris). */
export async function scheduleByForm(w: World, fields: Record<string, string | string[]>): Promise<string> {
  const res = await submit(await w.admin(), '/admin/maintenance/new', '/admin/maintenance', fields);
  assert.equal(res.status, 303, `the form was accepted: ${res.text.slice(0, 500)}`);
  const m = /^\/admin\/incidents\/([a-z0-9]+)$/.exec(String(res.headers.location));
  assert.ok(m?.[1], `redirected to the window's page, got ${String(res.headers.location)}`);
  return m[1];
}
