import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import type { Actor } from '../../server/domain/access/actors.js';
import { createApiKey } from '../../server/domain/access/api-keys.js';
import { createGroup } from '../../server/domain/page/groups.js';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident, patchIncident } from '../../server/domain/incidents/writes.js';
import { publishCommunication } from '../../server/domain/subscribers/communications.js';
import { createNoticeDraft } from '../../server/domain/subscribers/notice-drafts.js';
import { importCsv } from '../../server/domain/subscribers/import-export.js';
import { scheduleMaintenance } from '../../server/domain/incidents/maintenance.js';
import { mailDir } from '../../server/outbox/mail/transport.js';
import { createChatChannel, createWebhook } from '../../server/domain/subscribers/endpoints.js';
import { createTemplate } from '../../server/domain/incidents/templates.js';
import { saveDraft } from '../../server/domain/incidents/alert-drafts.js';
import { addUser, PASSWORD, signIn, startPharos, type Agent, type TestPharos } from '../helpers/pharos.js';

/**
 * The world the admin access tests (admin-access-*.test.ts, admin-login.test.ts) share: who signs in,
 * the route table of every admin route with real ids, a seeded Pharos to run it against, and a
 * fingerprint of the database to show that a refused request changed nothing.
 */

export const SYSTEM: Actor = { type: 'system' };
export const ADMIN = 'admin@example.com';
export const OPERATOR = 'operator@example.com';
export const VICTIM = 'victim@example.com';

export type Method = 'GET' | 'POST';
export interface Route {
  method: Method;
  /** As the router declares it, e.g. /admin/incidents/:id. */
  pattern: string;
  /** With real ids. */
  path: string;
  /** Under /admin/components, /admin/groups, /admin/users, /admin/api-keys or /admin/settings. */
  adminOnly: boolean;
  /** A plausible form for a POST: accepted, it would change something. */
  fields?: Record<string, string>;
  /** A GET of a POST-only target: where its 303 leads (the page its form is on), with real ids. */
  leadsTo?: string;
}

export interface Seeded {
  incident: string;
  update: string;
  component: string;
  groupedComponent: string;
  group: string;
  operatorId: string;
  victimId: string;
  apiKey: string;
  subscriber: string;
  maintenance: string;
  communication: string;
  mailFile: string;
  webhook: string;
  chat: string;
  template: string;
  draft: string;
  /** A notice's draft (the alert draft is `draft`). */
  noticeDraft: string;
}

const ADMIN_ONLY_PREFIXES = [
  '/admin/components',
  '/admin/groups',
  '/admin/templates',
  '/admin/users',
  '/admin/api-keys',
  '/admin/settings',
  '/admin/subscribers',
  '/admin/chat',
  '/admin/communications',
  '/admin/mail',
  '/admin/deliveries',
  '/admin/system',
  '/admin/data-protection',
  '/admin/audit',
  '/admin/audit.csv',
];

/** Login, logout and setup are open to anonymous visitors by design. */
export const AUTH_PATTERNS = ['/setup', '/admin/login', '/admin/logout'];

/** A POST under an admin-only prefix that no router declares: refused all the same. */
export const UNDECLARED = 'POST /admin/settings';

/** Every route the routers in server/http/admin/ declare behind a session, with real ids. */
function adminRouteTable(s: Seeded): Route[] {
  const table: [Method, string, Record<string, string>?, string?][] = [
    // incidents.ts: operators' pages
    ['GET', '/admin'],
    ['GET', '/admin/incidents/new'],
    // incident-lists.ts: the create forms' targets are lists
    ['GET', '/admin/incidents'],
    ['GET', '/admin/maintenance'],
    // form-targets.ts: a GET of a POST-only target leads to its form's page
    ['GET', '/admin/incidents/:id/updates', undefined, '/admin/incidents/:id#post-update'],
    ['GET', '/admin/incidents/:id/personal-data', undefined, '/admin/incidents/:id#data-protection'],
    ['GET', '/admin/data-protection/:id/notified', undefined, '/admin/incidents/:id#data-protection'],
    ['GET', '/admin/incidents/:id/postmortem', undefined, '/admin/incidents/:id#postmortem'],
    ['GET', '/admin/incidents/:id/postmortem/revert', undefined, '/admin/incidents/:id#postmortem'],
    ['GET', '/admin/alert-drafts/:id/publish', undefined, '/admin'],
    ['GET', '/admin/alert-drafts/:id/discard', undefined, '/admin'],
    ['GET', '/admin/groups', undefined, '/admin/components'],
    ['GET', '/admin/components/:id/move', undefined, '/admin/components'],
    ['GET', '/admin/groups/:id/move', undefined, '/admin/components'],
    ['GET', '/admin/account/sign-out-others', undefined, '/admin/account'],
    ['GET', '/admin/users/:id/role', undefined, '/admin/users'],
    ['GET', '/admin/api-keys/:id/hold-alerts', undefined, '/admin/api-keys'],
    ['GET', '/admin/settings/branding', undefined, '/admin/settings#branding'],
    ['GET', '/admin/settings/logo', undefined, '/admin/settings#logo'],
    ['GET', '/admin/settings/logo/remove', undefined, '/admin/settings#logo'],
    ['GET', '/admin/settings/display', undefined, '/admin/settings#display'],
    ['GET', '/admin/settings/time-zone', undefined, '/admin/settings#time-zone'],
    ['GET', '/admin/settings/embed', undefined, '/admin/settings#embed'],
    ['GET', '/admin/settings/subscriptions', undefined, '/admin/settings#subscriptions'],
    ['GET', '/admin/subscribers/export.csv', undefined, '/admin/subscribers/export'],
    ['GET', '/admin/subscribers/webhooks/:id/enable', undefined, '/admin/subscribers/webhooks'],
    ['GET', '/admin/subscribers/webhooks/:id/delete', undefined, '/admin/subscribers/webhooks'],
    ['GET', '/admin/chat/:id/test', undefined, '/admin/chat'],
    ['GET', '/admin/chat/:id/enable', undefined, '/admin/chat'],
    ['GET', '/admin/chat/:id/delete', undefined, '/admin/chat'],
    ['GET', '/admin/mail/retry', undefined, '/admin/mail'],
    ['GET', '/admin/confirm'],
    ['POST', '/admin/incidents', { name: 'Injected incident', status: 'investigating', body: 'injected' }],
    ['GET', '/admin/incidents/:id'],
    ['POST', '/admin/incidents/:id/updates', { status: 'resolved', body: 'injected update' }],
    ['GET', '/admin/incidents/:id/edit'],
    ['POST', '/admin/incidents/:id/edit', { name: 'Renamed by someone else' }],
    ['GET', '/admin/incidents/:id/delete'],
    ['POST', '/admin/incidents/:id/delete', { confirm_password: PASSWORD }],
    ['GET', '/admin/incidents/:id/updates/:updateId/edit'],
    ['POST', '/admin/incidents/:id/updates/:updateId/edit', { body: 'Edited by someone else' }],
    ['GET', '/admin/incidents/:id/updates/:updateId/delete'],
    ['POST', '/admin/incidents/:id/updates/:updateId/delete', {}],
    // data-protection.ts: operators flag, admins record the notification
    ['POST', '/admin/incidents/:id/personal-data', { personal_data_at_risk: 'on', aware_at: '2026-11-30T09:00' }],
    ['POST', '/admin/data-protection/:id/notified', { notified_at: '2026-11-30T09:30', reference: 'X' }],
    // maintenance.ts: operators' pages too
    ['GET', '/admin/maintenance/new'],
    ['POST', '/admin/maintenance', { name: 'Injected window', scheduled_for: '2026-12-01T02:00', scheduled_until: '2026-12-01T03:00' }],
    ['GET', '/admin/maintenance/:id/reschedule'],
    ['POST', '/admin/maintenance/:id/reschedule', { scheduled_for: '2026-12-02T02:00', scheduled_until: '2026-12-02T03:00' }],
    ['GET', '/admin/maintenance/:id/cancel'],
    ['POST', '/admin/maintenance/:id/cancel', {}],
    // component-status.ts: a component's status in one step, operators too (from the dashboard)
    ['GET', '/admin/component-status/:id'],
    ['POST', '/admin/component-status/:id', { status: 'major_outage', reason: 'injected' }],
    // components.ts: admins only
    ['GET', '/admin/components'],
    ['GET', '/admin/components/new'],
    ['POST', '/admin/components', { name: 'Injected component', status: 'operational' }],
    ['GET', '/admin/components/:id/edit'],
    ['POST', '/admin/components/:id/edit', { name: 'Renamed component', status: 'major_outage' }],
    ['POST', '/admin/components/:id/move', { direction: 'down' }],
    ['GET', '/admin/components/:id/delete'],
    ['POST', '/admin/components/:id/delete', {}],
    ['GET', '/admin/groups/new'],
    ['POST', '/admin/groups', { name: 'Injected group' }],
    ['GET', '/admin/groups/:id/edit'],
    ['POST', '/admin/groups/:id/edit', { name: 'Renamed group' }],
    ['POST', '/admin/groups/:id/move', { direction: 'up' }],
    ['GET', '/admin/groups/:id/delete'],
    ['POST', '/admin/groups/:id/delete', {}],
    // templates.ts: admins only
    ['GET', '/admin/templates'],
    ['GET', '/admin/templates/new'],
    ['POST', '/admin/templates', { name: 'Injected template', title: 'Injected', body: 'injected', update_status: 'investigating' }],
    ['GET', '/admin/templates/:id/edit'],
    ['POST', '/admin/templates/:id/edit', { name: 'Renamed template', body: 'rewritten', update_status: 'resolved' }],
    ['GET', '/admin/templates/:id/delete'],
    ['POST', '/admin/templates/:id/delete', {}],
    // audit.ts
    ['GET', '/admin/audit'],
    ['GET', '/admin/audit.csv'],
    // account.ts
    ['GET', '/admin/account'],
    // reauth.ts: the password again, before lists of personal data
    ['POST', '/admin/confirm', { confirm_password: PASSWORD, next: '/admin/subscribers' }],
    ['POST', '/admin/account/sign-out-others', {}],
    // users.ts (the user id: the victim's, except for the role, where the operator promoting themselves is the attack)
    ['GET', '/admin/users'],
    ['POST', '/admin/users', { email: 'mallory@example.com', password: 'a long enough password', role: 'admin', confirm_password: PASSWORD }],
    ['POST', '/admin/users/:id/role', { role: 'admin', confirm_password: PASSWORD }],
    ['GET', '/admin/users/:id/delete'],
    ['POST', '/admin/users/:id/delete', { confirm_password: PASSWORD }],
    // postmortem.ts
    ['POST', '/admin/incidents/:id/postmortem', { body_draft: 'Injected postmortem', action: 'publish' }],
    ['POST', '/admin/incidents/:id/postmortem/revert', {}],
    // alert-drafts.ts: alerts held for approval
    ['POST', '/admin/alert-drafts/:id/publish', {}],
    ['POST', '/admin/alert-drafts/:id/discard', {}],
    ['POST', '/admin/api-keys/:id/hold-alerts', { hold: 'on' }],
    // api-keys.ts
    ['GET', '/admin/api-keys'],
    ['POST', '/admin/api-keys', { name: 'Injected key', confirm_password: PASSWORD }],
    ['GET', '/admin/api-keys/:id/revoke'],
    ['POST', '/admin/api-keys/:id/revoke', { confirm_password: PASSWORD }],
    // settings.ts
    ['GET', '/admin/settings'],
    ['POST', '/admin/settings', { PAGE_NAME: 'Hijacked' }],
    ['POST', '/admin/settings/display', { show_resolution_figures: 'on' }],
    ['POST', '/admin/settings/time-zone', { time_zone: 'Pacific/Kiritimati' }],
    ['POST', '/admin/settings/logo', {}],
    ['POST', '/admin/settings/logo/remove', {}],
    ['POST', '/admin/settings/branding', { page_name: 'Hijacked Status', accent: '', site_url: '', support_url: '', privacy_url: '', terms_url: '' }],
    ['POST', '/admin/settings/subscriptions', { mode: 'paused', domains: '', threshold: '0', auto_mode: 'paused', confirm_password: PASSWORD }],
    [
      'POST',
      '/admin/settings/embed',
      {
        position: 'bottom-left',
        incident_background_color: '#000000',
        incident_text_color: '#ffffff',
        maintenance_background_color: '#000000',
        maintenance_text_color: '#ffffff',
        origins: 'https://attacker.example',
      },
    ],
    // subscribers.ts
    ['GET', '/admin/subscribers'],
    ['GET', '/admin/subscribers/export'],
    ['POST', '/admin/subscribers/export.csv', { confirm_password: PASSWORD }],
    ['GET', '/admin/subscribers/import'],
    ['POST', '/admin/subscribers/import', { csv: 'mallory@example.com', already_confirmed: 'on' }],
    ['GET', '/admin/subscribers/:id/delete'],
    ['POST', '/admin/subscribers/:id/delete', {}],
    // endpoints.ts: webhook subscribers and chat channels
    ['GET', '/admin/subscribers/webhooks'],
    ['POST', '/admin/subscribers/webhooks', { endpoint: 'http://127.0.0.1:9/injected', email: 'mallory@example.com' }],
    ['POST', '/admin/subscribers/webhooks/:id/enable', {}],
    ['POST', '/admin/subscribers/webhooks/:id/delete', {}],
    ['GET', '/admin/chat'],
    ['POST', '/admin/chat', { kind: 'slack', name: '#injected', url: 'http://127.0.0.1:9/injected', topics: 'incidents' }],
    ['POST', '/admin/chat/:id/test', {}],
    ['POST', '/admin/chat/:id/enable', {}],
    ['POST', '/admin/chat/:id/delete', {}],
    // communications.ts
    ['GET', '/admin/communications'],
    ['GET', '/admin/communications/new'],
    ['POST', '/admin/communications', { category: 'general', title: 'Injected notice', body: 'injected' }],
    ['GET', '/admin/communications/:id'],
    ['GET', '/admin/communications/:id/correct'],
    ['POST', '/admin/communications/:id/correct', { category: 'general', title: 'Injected correction', body: 'injected' }],
    // notice-drafts.ts: drafts of notices, their previews (the page and the mail, in frames) and their publication
    ['GET', '/admin/communications/drafts/:id'],
    ['POST', '/admin/communications/drafts/:id', { category: 'general', title: 'Injected draft', body: 'injected', revision: '1', action: 'save' }],
    ['GET', '/admin/communications/drafts/:id/preview'],
    ['GET', '/admin/communications/drafts/:id/preview/page'],
    ['GET', '/admin/communications/drafts/:id/preview/mail'],
    ['GET', '/admin/communications/drafts/:id/publish'],
    ['POST', '/admin/communications/drafts/:id/publish', { revision: '1' }],
    ['GET', '/admin/communications/drafts/:id/delete'],
    ['POST', '/admin/communications/drafts/:id/delete', {}],
    // account.ts: the keepalive while typing
    ['GET', '/admin/keepalive'],
    // mail.ts
    ['GET', '/admin/mail'],
    ['POST', '/admin/mail/retry', {}],
    ['GET', '/admin/mail/files/:name'],
    ['GET', '/admin/deliveries'],
    // system.ts
    ['GET', '/admin/system'],
    ['GET', '/admin/license'],
  ];
  const idFor = (pattern: string): string => {
    if (pattern.startsWith('/admin/incidents/')) return s.incident;
    if (pattern.startsWith('/admin/components/')) return s.component;
    if (pattern.startsWith('/admin/component-status/')) return s.component;
    if (pattern.startsWith('/admin/groups/')) return s.group;
    if (pattern.startsWith('/admin/templates/')) return s.template;
    if (pattern.endsWith('/role')) return s.operatorId;
    if (pattern.startsWith('/admin/users/')) return s.victimId;
    if (pattern.startsWith('/admin/api-keys/')) return s.apiKey;
    if (pattern.startsWith('/admin/alert-drafts/')) return s.draft;
    if (pattern.startsWith('/admin/subscribers/webhooks/')) return s.webhook;
    if (pattern.startsWith('/admin/subscribers/')) return s.subscriber;
    if (pattern.startsWith('/admin/chat/')) return s.chat;
    if (pattern.startsWith('/admin/maintenance/')) return s.maintenance;
    if (pattern.startsWith('/admin/data-protection/')) return s.incident;
    if (pattern.startsWith('/admin/communications/drafts/')) return s.noticeDraft;
    if (pattern.startsWith('/admin/communications/')) return s.communication;
    throw new Error(`no id for ${pattern}`);
  };
  return table.map(([method, pattern, fields, leadsTo]) => {
    const path = pattern.includes(':name')
      ? pattern.replace(':name', s.mailFile)
      : pattern.includes(':')
        ? pattern.replace(':id', idFor(pattern)).replace(':updateId', s.update)
        : pattern;
    const adminOnly = ADMIN_ONLY_PREFIXES.some((p) => pattern === p || pattern.startsWith(`${p}/`));
    return {
      method,
      pattern,
      path,
      adminOnly,
      ...(method === 'POST' ? { fields: fields ?? {} } : {}),
      ...(leadsTo ? { leadsTo: leadsTo.replace(':id', pattern.includes(':id') ? idFor(pattern) : '') } : {}),
    };
  });
}

const TABLES = [
  'settings',
  'users',
  'sessions',
  'api_keys',
  'component_groups',
  'components',
  'incidents',
  'incident_components',
  'incident_updates',
  'incident_update_components',
  'events',
  'subscribers',
  'subscriber_components',
  'deliveries',
  'communications',
  'communication_drafts',
  'endpoints',
  'endpoint_components',
  'incident_templates',
  'incident_template_components',
  'alert_drafts',
];

/** Every row of every table, to show that a refused request changed nothing (but the audit log, which records the refusal). */
export function fingerprint(p: TestPharos): string {
  return JSON.stringify(TABLES.map((t) => p.ctx.db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()));
}

export interface AdminWorld {
  p: TestPharos;
  /** Signed in as ADMIN. */
  admin: Agent;
  /** Signed in as OPERATOR. */
  operator: Agent;
  s: Seeded;
  routes: Route[];
}

/**
 * A Pharos with an admin, an operator and a victim (an operator too), and one of everything an admin
 * route can name: an incident with two updates, components (one in a group), an API key, a subscriber,
 * a published notice and the mail file it was written to, a notice's draft, a maintenance window, an incident template.
 */
export async function startAdminWorld(): Promise<AdminWorld> {
  const p = await startPharos();
  await addUser(p, ADMIN, 'admin');
  await addUser(p, OPERATOR, 'operator');
  await addUser(p, VICTIM, 'operator');
  const idOf = (email: string) => p.ctx.db.prepare('SELECT id FROM users WHERE email = ?').pluck().get(email) as string;

  const component = createComponent(p.ctx, SYSTEM, { name: 'API', status: 'operational' });
  const group = createGroup(p.ctx, SYSTEM, { name: 'Messaging', description: 'Outbound mail' });
  const grouped = createComponent(p.ctx, SYSTEM, { name: 'Email delivery', group_id: group.id });
  createComponent(p.ctx, SYSTEM, { name: 'Web app' });
  const incident = createIncident(p.ctx, SYSTEM, {
    name: 'Elevated error rates',
    status: 'investigating',
    body: 'We are looking into it.',
    components: { [component.id]: 'partial_outage' },
  });
  p.clock.advance(60_000);
  const patched = patchIncident(p.ctx, SYSTEM, incident.id, { status: 'identified', body: 'Found the cause.' });
  const update = patched.incident_updates[0];
  assert.ok(update && patched.incident_updates.length === 2);
  const key = createApiKey(p.ctx, { type: 'system' }, { name: 'automation' });
  // A subscriber, a published notice (mail to the subscriber, written as a file), all through the domain.
  importCsv(p.ctx, SYSTEM, 'reader@example.com', true);
  const notice = publishCommunication(p.ctx, SYSTEM, { category: 'general', title: 'Scheduled change', body: 'Read this.' });
  await p.ctx.mail.idle();
  await new Promise((r) => setTimeout(r, 50));
  const mailFile = readdirSync(mailDir(p.ctx.config)).find((f) => f.endsWith('.eml'));
  assert.ok(mailFile, 'a message was written');
  const s: Seeded = {
    incident: incident.id,
    update: update.id,
    component: component.id,
    groupedComponent: grouped.id,
    group: group.id,
    operatorId: idOf(OPERATOR),
    victimId: idOf(VICTIM),
    apiKey: key.apiKey.id,
    subscriber: p.ctx.db.prepare('SELECT id FROM subscribers').pluck().get() as string,
    communication: notice.id,
    maintenance: scheduleMaintenance(p.ctx, SYSTEM, {
      name: 'Database upgrade',
      scheduled_for: '2026-12-01T02:00:00Z',
      scheduled_until: '2026-12-01T03:00:00Z',
      component_ids: [component.id],
    }).id,
    mailFile,
    webhook: (await createWebhook(p.ctx, SYSTEM, { endpoint: 'http://127.0.0.1:9/hook', email: 'ops@example.com' }, 'admin')).endpoint.id,
    draft: saveDraft(p.ctx, SYSTEM, {
      source: 'alertmanager',
      group_key: 'seeded',
      name: 'Held alert',
      body: 'Held.',
      components: {},
      notify: true,
      signature: 's',
    }).id,
    noticeDraft: createNoticeDraft(p.ctx, SYSTEM, { category: 'data_protection', title: 'Notice being written', what_happened: 'Drafted.' }).id,
    chat: (await createChatChannel(p.ctx, SYSTEM, { kind: 'slack', name: '#incidents', url: 'http://127.0.0.1:9/slack', topics: ['incidents'] })).id,
    template: createTemplate(p.ctx, SYSTEM, {
      name: 'Mail delayed',
      title: 'Email delivery delayed',
      body: 'Messages are queued.',
      group_id: group.id,
      component_ids: [grouped.id],
    }).id,
  };
  const routes = adminRouteTable(s);
  const admin = await signIn(p, ADMIN);
  const operator = await signIn(p, OPERATOR);
  return { p, admin, operator, s, routes };
}
