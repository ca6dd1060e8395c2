import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createComponent } from '../../../server/domain/page/components.js';
import { createIncident } from '../../../server/domain/incidents/writes.js';
import { scheduleMaintenance } from '../../../server/domain/incidents/maintenance.js';
import { flagPersonalData } from '../../../server/domain/incidents/data-protection.js';
import { ensureFirstAdmin } from '../../../server/domain/access/first-admin.js';
import { addApiKey, addUser, confirmAccess, PASSWORD, signIn, startPharos, submit, type Agent, type TestPharos } from '../../helpers/pharos.js';
import { limitedFields, postForms, summaryLinks } from '../../helpers/forms.js';

/**
 * Long text is never cut: no field of an admin form has a maxlength (which keeps the first 20,000 of
 * 25,000 characters pasted, silently); each declares its limit (data-maxlength, for the live count of
 * public/js/admin-forms.js), and the server refuses a text over it with a message saying the limit and
 * the length typed, the text kept. The limit a page declares is the server's own: one character more is
 * refused, the limit itself is not refused for its length, on every form found on the pages.
 */

const system = { type: 'system' } as const;
const HOUR = 3_600_000;
const n = (x: number) => x.toLocaleString('en');

describe('text limits in admin forms: declared by the page, enforced by the server, never cut', () => {
  let p: TestPharos;
  let admin: Agent;
  const ids: Record<string, string> = {};

  before(async () => {
    p = await startPharos();
    await addUser(p, 'admin@example.com', 'admin');
    admin = await signIn(p, 'admin@example.com');
    // The webhooks' page lists addresses: it opens once the password was typed again.
    await confirmAccess(admin);
    const api = createComponent(p.ctx, system, { name: 'API' }).id;
    const open = createIncident(p.ctx, system, { name: 'Open', body: 'First.', components: { [api]: 'degraded_performance' } });
    ids.open = open.id;
    ids.update = p.ctx.db.prepare('SELECT id FROM incident_updates WHERE incident_id = ?').pluck().get(open.id) as string;
    ids.resolved = createIncident(p.ctx, system, { name: 'Resolved', status: 'resolved' }).id;
    // Personal data at risk for more than 72 hours: the notification form, with its reasons for the delay.
    const started = new Date(p.clock.now().getTime() - 100 * HOUR).toISOString();
    ids.personal = createIncident(p.ctx, system, { name: 'Leak', started_at: started }).id;
    flagPersonalData(p.ctx, system, ids.personal, { personal_data_at_risk: true, aware_at: started });
    ids.window = scheduleMaintenance(p.ctx, system, {
      name: 'Upgrade',
      scheduled_for: new Date(p.clock.now().getTime() + 24 * HOUR).toISOString(),
      scheduled_until: new Date(p.clock.now().getTime() + 26 * HOUR).toISOString(),
    }).id;
  });
  after(() => p.close());

  const pages = () => [
    '/admin/incidents/new',
    `/admin/incidents/${ids.open}`,
    `/admin/incidents/${ids.open}/edit`,
    `/admin/incidents/${ids.open}/updates/${ids.update}/edit`,
    `/admin/incidents/${ids.resolved}`,
    `/admin/incidents/${ids.personal}`,
    '/admin/maintenance/new',
    `/admin/maintenance/${ids.window}/reschedule`,
    '/admin/templates/new',
    '/admin/components/new',
    '/admin/groups/new',
    '/admin/api-keys',
    '/admin/users',
    '/admin/settings',
    '/admin/chat',
    '/admin/subscribers/webhooks',
    '/admin/communications/new',
  ];

  /** The form at `action` on `page`, as it stands, sent with `text` in `name` (and the operator's password where it is asked). */
  async function send(agent: Agent, page: string, action: string, name: string, text: string) {
    const html = (await agent.get(page).expect(200)).text;
    const form = postForms(html).find((f) => f.action === action);
    assert.ok(form, `${page} still has its form ${action}`);
    const values = { ...form.values, [name]: text };
    // What a browser would not send empty: the operator's password where it is asked, the required times (a
    // window of two hours in a few days), so that the length is what the form is refused for.
    const times = ['2026-12-05T10:00', '2026-12-05T12:00'];
    for (const c of form.controls) {
      const field = c.attrs.name ?? '';
      if (field === name) continue;
      if (field === 'confirm_password') values.confirm_password = PASSWORD;
      else if (c.attrs.type === 'datetime-local' && 'required' in c.attrs && !values[field]) values[field] = times.shift() ?? '';
    }
    return agent.post(action).type('form').send(values);
  }

  /** Checks one limited field of one form both sides of its limit; returns what was checked. */
  async function checkLimit(agent: Agent, page: string, action: string, field: { name: string; id: string; type: string; limit: number }) {
    const over = 'x'.repeat(field.limit + 1);
    const refused = await send(agent, page, action, field.name, over);
    const where = `${page} → ${action}: ${field.name} (${n(field.limit)})`;
    assert.ok(refused.status >= 400 && refused.status < 500, `${where}: one character more is refused (${refused.status})`);
    assert.ok(
      refused.text.includes(`id="${field.name}-error">Use at most ${n(field.limit)} characters (you typed ${n(field.limit + 1)})</p>`),
      `${where}: the message says the limit and the length typed`,
    );
    if (field.type !== 'password') {
      const again = postForms(refused.text).find((f) => f.action === action);
      assert.equal(again?.values[field.name], over, `${where}: the text comes back whole`);
    }
    // The summary links to it (and to nothing the page lacks).
    const links = summaryLinks(refused.text);
    assert.ok(
      links.some((l) => l.href === `#${field.id}` && l.text.endsWith(`(you typed ${n(field.limit + 1)})`)),
      `${where}: the summary links to the field`,
    );
    for (const l of links) assert.ok(refused.text.includes(`id="${l.href.slice(1)}"`), `${where}: ${l.href} is on the page`);
    const at = await send(agent, page, action, field.name, 'x'.repeat(field.limit));
    assert.ok(!at.text.includes(`id="${field.name}-error">Use at most`), `${where}: the limit itself is taken (as far as its length goes)`);
    return `${page} ${field.name}`;
  }

  async function checkPages(agent: Agent, list: string[]): Promise<string[]> {
    const checked: string[] = [];
    for (const page of list) {
      const html = (await agent.get(page).expect(200)).text;
      for (const form of postForms(html)) {
        for (const field of limitedFields(form)) checked.push(await checkLimit(agent, page, form.action, field));
      }
    }
    return checked;
  }

  it('no field of an admin page cuts text (no maxlength), and every text field declares its limit', async () => {
    const unlimited: string[] = [];
    for (const page of pages()) {
      const html = (await admin.get(page).expect(200)).text;
      assert.doesNotMatch(html, /\smaxlength=/, `${page} has no maxlength`);
      for (const form of postForms(html)) {
        for (const c of form.controls) {
          const type = c.attrs.type ?? c.tag;
          // Colours and numbers are checked by their form, not their length; a password to confirm is checked, never stored.
          const text = ['text', 'email', 'url', 'search', 'textarea'].includes(type) || (type === 'password' && c.attrs.autocomplete === 'new-password');
          if (text && !c.attrs.pattern && c.attrs.inputmode !== 'numeric' && !c.attrs['data-maxlength']) unlimited.push(`${page} ${c.attrs.name}`);
        }
      }
    }
    assert.deepEqual(unlimited, []);
  });

  it('on every form, one character over the limit is refused with the limit and the length, the limit itself is not', async () => {
    const checked = await checkPages(admin, pages());
    // The walk found the fields it is about (it cannot pass by finding none).
    for (const expected of [
      '/admin/incidents/new name',
      '/admin/incidents/new body',
      `/admin/incidents/${ids.open} body`,
      `/admin/incidents/${ids.resolved} body_draft`,
      `/admin/incidents/${ids.personal} reference`,
      `/admin/incidents/${ids.personal} delay_reasons`,
      '/admin/maintenance/new name',
      `/admin/maintenance/${ids.window}/reschedule body`,
      '/admin/templates/new title',
      '/admin/components/new description',
      '/admin/users password',
      '/admin/settings site_url',
      '/admin/settings domains',
      '/admin/chat url',
      '/admin/subscribers/webhooks email',
      '/admin/communications/new title',
    ]) {
      assert.ok(checked.includes(expected), `checked ${expected}`);
    }
    assert.ok(checked.length >= 40, `${checked.length} fields checked`);
  });

  it('the setup form declares and enforces its limits the same way', async () => {
    const fresh = await startPharos();
    try {
      const link = new URL((await ensureFirstAdmin(fresh.ctx)) ?? '');
      const agent = request.agent(fresh.app);
      const checked: string[] = [];
      const page = link.pathname + link.search;
      const html = (await agent.get(page).expect(200)).text;
      assert.doesNotMatch(html, /\smaxlength=/);
      for (const form of postForms(html)) for (const field of limitedFields(form)) checked.push(await checkLimit(agent, page, form.action, field));
      assert.deepEqual(checked, [`${page} email`, `${page} name`, `${page} password`]);
    } finally {
      await fresh.close();
    }
  });

  it('a line break counts once, as the browser shows it, though the browser sends it as CR LF', async () => {
    // 19,000 characters on 2,000 lines: 20,999 as sent, 20,999 − 1,999 = 19,000 + 1,999 line breaks counted once.
    const lines = Array.from({ length: 2000 }, () => 'y'.repeat(9));
    const body = lines.join('\r\n');
    assert.ok(body.length > 20_000);
    assert.ok(lines.join('\n').length <= 20_000);
    const res = await submit(admin, `/admin/incidents/${ids.open}/updates/${ids.update}/edit`, `/admin/incidents/${ids.open}/updates/${ids.update}/edit`, {
      body,
    });
    assert.equal(res.status, 303);
    const stored = p.ctx.db.prepare('SELECT body FROM incident_updates WHERE id = ?').pluck().get(ids.update) as string;
    assert.equal(stored, lines.join('\n'));
  });

  it('the API says the same: the field, the limit and the length sent', async () => {
    const key = addApiKey(p);
    const res = await request(p.app)
      .post(`/api/v1/pages/${p.ctx.pageId}/incidents`)
      .set('Authorization', `OAuth ${key}`)
      .send({ incident: { name: 'z'.repeat(300) } })
      .expect(422);
    const body = res.body as { error: { fields: Record<string, string> } };
    assert.equal(body.error.fields['incident.name'], 'Use at most 200 characters (you typed 300)');
    assert.equal(p.ctx.db.prepare("SELECT COUNT(*) FROM incidents WHERE name LIKE 'zzz%'").pluck().get(), 0);
  });
});
