import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createComponent, deleteComponent } from '../../server/domain/page/components.js';
import { createGroup, deleteGroup } from '../../server/domain/page/groups.js';
import { createTemplate, getTemplate, listTemplates } from '../../server/domain/incidents/templates.js';
import { addUser, csrfOf, signIn, startPharos, submit, type Agent, type TestPharos } from '../helpers/pharos.js';
import { assertPage, PAYLOADS } from './xss-world.js';

/**
 * Incident templates: seeded from the four that were built in, edited by admins in Admin → Templates
 * (audited, never a public change), and read by the new-incident form's picker, which works without
 * JavaScript as a GET form of its own.
 */

const system = { type: 'system' } as const;
const BUILT_IN = ['Investigating an attack', 'API outage', 'Degraded performance', 'Resolved'];

describe('incident templates in the admin', () => {
  let p: TestPharos;
  let admin: Agent;
  let operator: Agent;
  let api: string;
  let mail: string;
  let group: string;

  const events = () => p.ctx.db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
  const lastAudit = (action: string) =>
    p.ctx.db.prepare('SELECT actor, subject, detail FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT 1').get(action) as
      { actor: string; subject: string; detail: string } | undefined;
  const byName = (name: string) => listTemplates(p.ctx.db).find((t) => t.name === name);

  before(async () => {
    p = await startPharos();
    await addUser(p, 'admin@example.com', 'admin');
    await addUser(p, 'operator@example.com', 'operator');
    admin = await signIn(p, 'admin@example.com');
    operator = await signIn(p, 'operator@example.com');
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    group = createGroup(p.ctx, system, { name: 'Messaging' }).id;
    mail = createComponent(p.ctx, system, { name: 'Email delivery', group_id: group }).id;
  });
  after(() => p.close());

  it('seeds the four built-in templates, in their order, with their status and message', () => {
    const seeded = listTemplates(p.ctx.db);
    assert.deepEqual(
      seeded.map((t) => t.name),
      BUILT_IN,
    );
    assert.deepEqual(
      seeded.map((t) => t.update_status),
      ['investigating', 'investigating', 'investigating', 'resolved'],
    );
    assert.match(seeded[0]?.body ?? '', /large-scale malicious attack/);
    assert.ok(seeded.every((t) => t.should_send_notifications && t.group_id === null && t.component_ids.length === 0));
    assert.ok(seeded.every((t) => /^[a-z0-9]{12}$/.test(t.id)));
  });

  it('lists the templates to admins, and refuses the page to operators', async () => {
    const page = await admin.get('/admin/templates').expect(200);
    for (const name of BUILT_IN) assert.ok(page.text.includes(`<strong>${name}</strong>`), name);
    assert.match(page.text, /href="\/admin\/templates"[^>]*aria-current="page"/, 'the navigation shows where we are');
    await operator.get('/admin/templates').expect(403);
    await operator.get('/admin/templates/new').expect(403);
  });

  it('creates a template through the form, audited and not a public change', async () => {
    const before = events();
    const res = await submit(admin, '/admin/templates/new', '/admin/templates', {
      name: 'Mail delayed',
      title: 'Email delivery delayed',
      body: 'Messages are **queued**; none is lost.',
      update_status: 'identified',
      group_id: group,
      component_ids: [mail, api],
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/admin/templates');
    const t = byName('Mail delayed');
    assert.ok(t, 'the template exists');
    assert.equal(t.title, 'Email delivery delayed');
    assert.equal(t.body, 'Messages are **queued**; none is lost.');
    assert.equal(t.update_status, 'identified');
    assert.equal(t.group_id, group);
    assert.equal(t.should_send_notifications, false, 'an unchecked box is no notification');
    assert.deepEqual(t.component_ids, [api, mail], 'in page order');
    assert.equal(events(), before, 'no page event: the public never sees a template');
    const audit = lastAudit('template.created');
    assert.equal(audit?.actor, 'user:admin@example.com');
    assert.equal(audit?.subject, t.id);
    assert.equal((JSON.parse(audit?.detail ?? '{}') as { after?: { name?: string } }).after?.name, 'Mail delayed');
    const list = await admin.get('/admin/templates').expect(200);
    assert.match(list.text, /<strong>Mail delayed<\/strong> <span class="muted">in Messaging<\/span>/);
    assert.match(list.text, /Identified · no notification · API, Messaging \/ Email delivery/);
  });

  it('shows the form again with a message per field and what was typed, changing nothing', async () => {
    const count = listTemplates(p.ctx.db).length;
    const auditRows = p.ctx.db.prepare('SELECT COUNT(*) FROM audit_log').pluck().get();
    const res = await submit(admin, '/admin/templates/new', '/admin/templates', {
      name: '   ',
      title: 'x'.repeat(201),
      body: 'Kept as typed',
      update_status: 'on_fire',
      group_id: group,
      should_send_notifications: 'on',
      component_ids: [mail],
    });
    assert.equal(res.status, 422);
    assert.match(res.text, /<p class="field-error" id="name-error">Enter a name<\/p>/);
    assert.match(res.text, /<p class="field-error" id="title-error">Use at most 200 characters \(you typed 201\)<\/p>/);
    assert.match(res.text, /<p class="field-error" id="update_status-error">Status must be one of: investigating, identified/);
    assert.match(res.text, /<textarea id="body" name="body"[^>]*>Kept as typed<\/textarea>/);
    assert.match(res.text, new RegExp(`<option value="${group}" selected>Messaging</option>`));
    assert.match(res.text, new RegExp(`name="component_ids" value="${mail}" checked> Messaging / Email delivery`));
    assert.match(res.text, new RegExp(`name="component_ids" value="${api}" > API`), 'an unchecked component stays unchecked');
    assert.match(res.text, /name="should_send_notifications" checked/);
    assert.equal(listTemplates(p.ctx.db).length, count, 'nothing was created');
    assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM audit_log').pluck().get(), auditRows, 'nor audited');

    const unknown = await submit(admin, '/admin/templates/new', '/admin/templates', {
      name: 'Ghost',
      group_id: 'nosuchgroup',
      component_ids: ['nosuchcomponent'],
    });
    assert.equal(unknown.status, 422);
    assert.match(unknown.text, /id="group_id-error">No such group/);
    assert.match(unknown.text, /id="component_ids-error">No such component/);
    assert.equal(byName('Ghost'), undefined);
  });

  it('edits a template: the form shows it as it is, the audit row has it before and after', async () => {
    const t = byName('Mail delayed');
    assert.ok(t);
    const form = await admin.get(`/admin/templates/${t.id}/edit`).expect(200);
    assert.match(form.text, /<h1>Edit Mail delayed<\/h1>/);
    assert.match(form.text, /id="title" name="title" type="text" data-maxlength="200" value="Email delivery delayed"/);
    assert.match(form.text, /<option value="identified" selected>Identified<\/option>/);
    assert.match(form.text, new RegExp(`value="${api}" checked> API`));
    const res = await admin
      .post(`/admin/templates/${t.id}/edit`)
      .type('form')
      .send({ _csrf: csrfOf(form.text), name: 'Mail delayed', title: '', body: 'Queued.', update_status: 'monitoring', should_send_notifications: 'on' });
    assert.equal(res.status, 303);
    const after = getTemplate(p.ctx.db, t.id);
    assert.deepEqual(
      [after.title, after.body, after.update_status, after.should_send_notifications, after.group_id, after.component_ids],
      ['', 'Queued.', 'monitoring', true, null, []],
    );
    const detail = JSON.parse(lastAudit('template.updated')?.detail ?? '{}') as { before?: { body?: string }; after?: { body?: string } };
    assert.deepEqual([detail.before?.body, detail.after?.body], ['Messages are **queued**; none is lost.', 'Queued.']);

    const bad = await admin
      .post(`/admin/templates/${t.id}/edit`)
      .type('form')
      .send({ _csrf: csrfOf(form.text), name: '', body: 'Typed again', update_status: 'monitoring' });
    assert.equal(bad.status, 422);
    assert.match(bad.text, new RegExp(`action="/admin/templates/${t.id}/edit"`), 'the same edit form');
    assert.match(bad.text, /Typed again/);
    assert.equal(getTemplate(p.ctx.db, t.id).body, 'Queued.');
    await admin.get('/admin/templates/nosuchtemplate/edit').expect(404);
  });

  it('deletes a template after a confirmation page', async () => {
    const t = createTemplate(p.ctx, system, { name: 'Doomed' });
    const confirm = await admin.get(`/admin/templates/${t.id}/delete`).expect(200);
    assert.match(confirm.text, /Delete the template “Doomed”\?/);
    await admin
      .post(`/admin/templates/${t.id}/delete`)
      .type('form')
      .send({ _csrf: csrfOf(confirm.text) })
      .expect(303)
      .expect('Location', '/admin/templates');
    assert.equal(byName('Doomed'), undefined);
    assert.equal(lastAudit('template.deleted')?.subject, t.id);
    await admin
      .post(`/admin/templates/${t.id}/delete`)
      .type('form')
      .send({ _csrf: csrfOf(confirm.text) })
      .expect(404);
  });

  it('shows hostile text in a template as text: the list, the form, the picker and the page it fills', async () => {
    const group = createGroup(p.ctx, system, { name: PAYLOADS.svg }).id;
    const component = createComponent(p.ctx, system, { name: PAYLOADS.img, group_id: group }).id;
    const t = createTemplate(p.ctx, system, {
      name: PAYLOADS.script,
      title: PAYLOADS.svg,
      body: `${PAYLOADS.img} ${PAYLOADS.link} </textarea><script>alert(1)</script>`,
      group_id: group,
      component_ids: [component],
    });
    assertPage((await admin.get('/admin/templates').expect(200)).text, '/admin/templates', [PAYLOADS.script, PAYLOADS.svg, PAYLOADS.img]);
    assertPage((await admin.get(`/admin/templates/${t.id}/edit`).expect(200)).text, 'edit', [PAYLOADS.script, PAYLOADS.svg, PAYLOADS.link]);
    assertPage((await admin.get(`/admin/templates/${t.id}/delete`).expect(200)).text, 'delete', [PAYLOADS.script]);
    assertPage((await operator.get('/admin/incidents/new').expect(200)).text, 'picker', [PAYLOADS.script, PAYLOADS.svg]);
    assertPage((await operator.get(`/admin/incidents/new?template=${t.id}`).expect(200)).text, 'filled in', [PAYLOADS.svg, PAYLOADS.img]);
  });

  it('forgets a deleted component, and a deleted group leaves its templates ungrouped', () => {
    const gone = createComponent(p.ctx, system, { name: 'Gone soon' }).id;
    const doomedGroup = createGroup(p.ctx, system, { name: 'Doomed group' }).id;
    const t = createTemplate(p.ctx, system, { name: 'Refers', group_id: doomedGroup, component_ids: [gone, api] });
    deleteComponent(p.ctx, system, gone);
    deleteGroup(p.ctx, system, doomedGroup);
    const after = getTemplate(p.ctx.db, t.id);
    assert.deepEqual([after.group_id, after.component_ids], [null, [api]]);
  });
});

describe('the new-incident form reads the templates', () => {
  let p: TestPharos;
  let admin: Agent;
  let operator: Agent;
  let search: string;
  let group: string;
  let templateId: string;

  before(async () => {
    p = await startPharos();
    await addUser(p, 'admin@example.com', 'admin');
    await addUser(p, 'operator@example.com', 'operator');
    admin = await signIn(p, 'admin@example.com');
    operator = await signIn(p, 'operator@example.com');
    createComponent(p.ctx, system, { name: 'API' });
    group = createGroup(p.ctx, system, { name: 'Data' }).id;
    search = createComponent(p.ctx, system, { name: 'Search', group_id: group }).id;
    templateId = createTemplate(p.ctx, system, {
      name: 'Search down',
      title: 'Search is unavailable',
      body: 'Searches fail. We are on it.',
      update_status: 'identified',
      should_send_notifications: false,
      group_id: group,
      component_ids: [search],
    }).id;
  });
  after(() => p.close());

  it('offers every template in the picker, a group’s under its name, with what the script fills in', async () => {
    const page = await operator.get('/admin/incidents/new').expect(200);
    const picker = /<form method="get" action="\/admin\/incidents\/new"[\s\S]*?<\/form>/.exec(page.text)?.[0] ?? '';
    assert.match(picker, /<label for="template">Start from a template<\/label>/);
    assert.deepEqual(
      [...picker.matchAll(/<option value="[a-z0-9]+" [^>]*>([^<]+)<\/option>/g)].map((m) => m[1]),
      [...BUILT_IN, 'Search down'],
    );
    assert.match(picker, /<optgroup label="Data">\s*<option value="[a-z0-9]+"/);
    assert.match(
      picker,
      new RegExp(
        `<option value="${templateId}"  data-title="Search is unavailable" data-status="identified" data-body="Searches fail. We are on it." data-notify="" data-components="${search}">`,
      ),
    );
    assert.match(picker, /<button type="submit" class="secondary" id="template-use">Use template<\/button>/);
    assert.doesNotMatch(picker, /Manage templates/, 'an operator cannot manage them');
    assert.match(page.text, /<script src="\/js\/admin-templates\.js[^"]*"><\/script>/);
    assert.match((await admin.get('/admin/incidents/new').expect(200)).text, /<a href="\/admin\/templates">Manage templates<\/a>/);
  });

  it('without JavaScript, "Use template" brings the form back filled in, and the incident lists its components', async () => {
    const page = await operator.get(`/admin/incidents/new?template=${templateId}`).expect(200);
    assert.match(page.text, new RegExp(`<option value="${templateId}" selected`));
    assert.match(page.text, /id="name" name="name" type="text" required data-maxlength="200" value="Search is unavailable"/);
    assert.match(page.text, /<option value="identified" selected>Identified<\/option>/);
    assert.match(page.text, /<textarea id="body" name="body"[^>]*>Searches fail\. We are on it\.<\/textarea>/);
    assert.doesNotMatch(page.text, /name="deliver_notifications" checked/);
    const linked = /<fieldset class="component-statuses" id="template-components">[\s\S]*?<\/fieldset>/.exec(page.text)?.[0] ?? '';
    assert.match(linked, new RegExp(`<input type="checkbox" name="component_ids" value="${search}" checked> Data / Search`));

    const created = await operator
      .post('/admin/incidents')
      .type('form')
      .send({ _csrf: csrfOf(page.text), name: 'Search is unavailable', status: 'identified', body: 'Searches fail. We are on it.', component_ids: search });
    assert.equal(created.status, 303);
    const incident = p.ctx.db.prepare("SELECT id, status FROM incidents WHERE name = 'Search is unavailable'").get() as { id: string; status: string };
    assert.equal(incident.status, 'identified');
    assert.deepEqual(p.ctx.db.prepare('SELECT component_id FROM incident_components WHERE incident_id = ?').pluck().all(incident.id), [search]);
    assert.equal(p.ctx.db.prepare('SELECT status FROM components WHERE id = ?').pluck().get(search), 'operational', 'listed, its status unchanged');
    const v2 = (await request(p.app).get('/api/v2/incidents.json').expect(200)).body as { incidents: { name: string; components: { id: string }[] }[] };
    assert.deepEqual(
      v2.incidents.find((i) => i.name === 'Search is unavailable')?.components.map((c) => c.id),
      [search],
    );
  });

  it('keeps the listed components when the form comes back with an error', async () => {
    const page = await operator.get(`/admin/incidents/new?template=${templateId}`).expect(200);
    const res = await operator
      .post('/admin/incidents')
      .type('form')
      .send({ _csrf: csrfOf(page.text), name: '', status: 'identified', body: 'Typed', component_ids: search });
    assert.equal(res.status, 422);
    assert.match(res.text, new RegExp(`name="component_ids" value="${search}" checked> Data / Search`));
    assert.match(res.text, /<textarea id="body" name="body"[^>]*>Typed<\/textarea>/);
  });

  it('shows the plain form for a template that no longer exists, and no picker without templates', async () => {
    const page = await operator.get('/admin/incidents/new?template=nosuchtemplate').expect(200);
    assert.match(page.text, /id="name" name="name" type="text" required data-maxlength="200" value=""/);
    assert.match(page.text, /<fieldset class="component-statuses" id="template-components" hidden>/);
    p.ctx.db.prepare('DELETE FROM incident_templates').run();
    const bare = await operator.get('/admin/incidents/new').expect(200);
    assert.doesNotMatch(bare.text, /Start from a template|admin-templates\.js/);
  });
});
