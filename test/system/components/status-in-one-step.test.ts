import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createComponent } from '../../../server/domain/page/components.js';
import { createGroup } from '../../../server/domain/page/groups.js';
import { addUser, csrfOf, signIn, startPharos, type Agent, type TestPharos } from '../../helpers/pharos.js';
import { viewer } from '../../helpers/viewer.js';

const system = { type: 'system' } as const;

/**
 * A component's status set in one step from a row of Admin → Components or of the dashboard (a select,
 * an optional reason, a button; no script): through the write path, so live viewers get it; the reason
 * in the audit log; CSRF and sessions as every admin form; bad input refused with the field named.
 */
describe("a component's status in one step, from the components list and the dashboard", () => {
  let p: TestPharos;
  let admin: Agent;
  let operator: Agent;
  let api = '';
  let mail = '';

  const statusOf = (id: string) => p.ctx.db.prepare('SELECT status FROM components WHERE id = ?').pluck().get(id);
  const audits = () =>
    p.ctx.db.prepare("SELECT actor, subject, detail FROM audit_log WHERE action = 'component.status_changed' ORDER BY id").all() as {
      actor: string;
      subject: string;
      detail: string;
    }[];
  const state = () =>
    JSON.stringify([
      p.ctx.db.prepare('SELECT * FROM components ORDER BY rowid').all(),
      p.ctx.db.prepare('SELECT * FROM component_status_log ORDER BY rowid').all(),
      p.ctx.db.prepare('SELECT COUNT(*) FROM events').pluck().get(),
      audits(),
    ]);
  /** The row's form on a page: its action, the select and the reason it carries. */
  const rowForm = (html: string, id: string) => new RegExp(`<form method="post" action="/admin/component-status/${id}"[\\s\\S]*?</form>`).exec(html)?.[0] ?? '';
  const row = (html: string, id: string) =>
    /id="component-[^"]+"[\s\S]*?(?=<li class="component |<\/ul>)/.exec(html.slice(html.indexOf(`id="component-${id}"`)))?.[0] ?? '';

  before(async () => {
    p = await startPharos({ listen: true });
    await addUser(p, 'admin@example.com', 'admin');
    await addUser(p, 'ops@example.com', 'operator');
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    const group = createGroup(p.ctx, system, { name: 'Messaging' });
    mail = createComponent(p.ctx, system, { name: 'Email delivery', group_id: group.id }).id;
    admin = await signIn(p, 'admin@example.com');
    operator = await signIn(p, 'ops@example.com');
  });
  after(() => p.close());

  it('an admin sets a status from its row on Admin → Components: viewers see it live, the reason goes to the audit log', async () => {
    const list = await admin.get('/admin/components').expect(200);
    for (const id of [api, mail]) {
      const form = rowForm(list.text, id);
      assert.match(form, /<select id="status-[^"]+" name="status">/, 'a select per row');
      assert.match(form, /<option value="operational" selected>Operational<\/option>/, 'showing the status it has');
      assert.match(form, /name="reason"/, 'an optional reason');
      assert.match(form, /<button type="submit"/, 'a button: no script needed');
      assert.match(form, /name="back" value="components"/);
    }
    const v = viewer(p.url);
    const first = await v.next(() => true);
    assert.match(row(first.html.components, api), /Operational/);

    const res = await admin
      .post(`/admin/component-status/${api}`)
      .type('form')
      .send({ _csrf: csrfOf(list.text), status: 'major_outage', reason: 'Flood of SYN packets on the edge', back: 'components' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, `/admin/components#component-${api}`, 'back to the row it was sent from');
    assert.equal(statusOf(api), 'major_outage');

    const live = await v.next((u) => u.version > first.version);
    assert.match(row(live.html.components, api), /Major outage/, 'the viewer sees the new status without a reload');
    assert.equal(live.status.indicator, 'critical');
    v.socket.close();

    const [entry] = audits();
    assert.ok(entry, 'one audit row');
    assert.equal(entry.actor, 'user:admin@example.com');
    assert.equal(entry.subject, api);
    assert.deepEqual(JSON.parse(entry.detail), {
      name: 'API',
      before: { status: 'operational' },
      after: { status: 'major_outage' },
      reason: 'Flood of SYN packets on the edge',
    });
    const after = await admin.get('/admin/components').expect(200);
    assert.match(rowForm(after.text, api), /<option value="major_outage" selected>/, 'the row shows the status it now has');
  });

  it('an operator sets a status from the dashboard, without a reason', async () => {
    const dash = await operator.get('/admin').expect(200);
    for (const id of [api, mail]) assert.match(rowForm(dash.text, id), /name="back" value="dashboard"/, 'every component, grouped ones too');
    const res = await operator
      .post(`/admin/component-status/${mail}`)
      .type('form')
      .send({ _csrf: csrfOf(dash.text), status: 'degraded_performance', reason: '', back: 'dashboard' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, `/admin#component-${mail}`);
    assert.equal(statusOf(mail), 'degraded_performance');
    const entry = audits().at(-1);
    assert.equal(entry?.actor, 'user:ops@example.com');
    assert.deepEqual(JSON.parse(entry?.detail ?? '{}'), {
      name: 'Email delivery',
      before: { status: 'operational' },
      after: { status: 'degraded_performance' },
      reason: '',
    });
    // The public page and the v2 API say so too (the same snapshot).
    const summary = (await operator.get('/api/v2/components.json').expect(200)).body as { components: { id: string; status: string }[] };
    assert.equal(summary.components.find((c) => c.id === mail)?.status, 'degraded_performance');
  });

  it('the status it already has changes nothing: a second click writes nothing twice', async () => {
    const dash = await operator.get('/admin').expect(200);
    const before = state();
    const res = await operator
      .post(`/admin/component-status/${mail}`)
      .type('form')
      .send({ _csrf: csrfOf(dash.text), status: 'degraded_performance', back: 'dashboard' });
    assert.equal(res.status, 303);
    assert.equal(state(), before);
  });

  it('refuses a bad status or an over-long reason with the field named, the form again as typed, nothing changed', async () => {
    const dash = await operator.get('/admin').expect(200);
    const before = state();
    const bad = await operator
      .post(`/admin/component-status/${api}`)
      .type('form')
      .send({ _csrf: csrfOf(dash.text), status: 'exploded', reason: 'typed before the mistake', back: 'dashboard' });
    assert.equal(bad.status, 422);
    assert.match(bad.text, /<p class="field-error" id="status-error">Status must be one of: operational, /);
    assert.match(bad.text, /<select id="status" name="status" aria-invalid="true" aria-describedby="status-error" autofocus>/, 'focus on the field');
    assert.match(bad.text, /value="typed before the mistake"/, 'what was typed is kept');
    assert.match(bad.text, /action="\/admin\/component-status\//, 'the form, to send again');
    assert.match(bad.text, /<a href="\/admin#component-[^"]+">← Dashboard<\/a>/);

    const long = await operator
      .post(`/admin/component-status/${api}`)
      .type('form')
      .send({ _csrf: csrfOf(dash.text), status: 'partial_outage', reason: 'x'.repeat(501), back: 'dashboard' });
    assert.equal(long.status, 422);
    assert.match(long.text, /<p class="field-error" id="reason-error">Use at most 500 characters \(you typed 501\)<\/p>/);
    assert.match(long.text, new RegExp(`value="${'x'.repeat(501)}"`), 'never cut: the whole text comes back');
    assert.match(long.text, /<option value="partial_outage" selected>/);

    const json = await operator
      .post(`/admin/component-status/${api}`)
      .set('Accept', 'application/json')
      .type('form')
      .send({ _csrf: csrfOf(dash.text), status: 'exploded' });
    assert.equal(json.status, 422);
    assert.deepEqual(Object.keys((json.body as { error: { fields: Record<string, string> } }).error.fields), ['status']);

    await operator
      .post('/admin/component-status/no-such-component')
      .type('form')
      .send({ _csrf: csrfOf(dash.text), status: 'major_outage' })
      .expect(404);
    assert.equal(state(), before);
  });

  it('needs the session and its CSRF token, as every admin form', async () => {
    const before = state();
    await operator.post(`/admin/component-status/${api}`).type('form').send({ status: 'partial_outage' }).expect(403);
    const anonymous = await signIn(p, 'ops@example.com');
    await anonymous
      .post('/admin/logout')
      .type('form')
      .send({ _csrf: csrfOf((await anonymous.get('/admin').expect(200)).text) });
    await anonymous.post(`/admin/component-status/${api}`).type('form').send({ status: 'partial_outage' }).expect(401);
    assert.equal(state(), before);
  });

  it('answers a GET of the form address with the one-component form, the current status chosen', async () => {
    const page = await operator.get(`/admin/component-status/${api}`).expect(200);
    assert.match(page.text, /<h1>Status of API<\/h1>/);
    assert.match(page.text, /<option value="major_outage" selected>Major outage<\/option>/);
    const fromList = await admin.get(`/admin/component-status/${api}?back=components`).expect(200);
    assert.match(fromList.text, /name="back" value="components"/);
    assert.match(fromList.text, /← Components<\/a>/);
  });
});
