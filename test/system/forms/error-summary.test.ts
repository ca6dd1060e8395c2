import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createComponent } from '../../../server/domain/page/components.js';
import { addUser, signIn, startPharos, submit, type Agent, type TestPharos } from '../../helpers/pharos.js';
import { summaryLinks } from '../../helpers/forms.js';

/**
 * A refused admin form, as it comes back without JavaScript: the summary above it names every problem,
 * each linking to its field (with the field's label, in the page's order), a section that holds a
 * refused field renders open, and only the form that was sent is marked.
 */

const system = { type: 'system' } as const;

describe('a refused admin form: the summary links to each field, sections with errors open', () => {
  let p: TestPharos;
  let admin: Agent;
  let api: string;

  before(async () => {
    p = await startPharos();
    await addUser(p, 'admin@example.com', 'admin');
    await addUser(p, 'other@example.com', 'operator');
    admin = await signIn(p, 'admin@example.com');
    api = createComponent(p.ctx, system, { name: 'API' }).id;
  });
  after(() => p.close());

  /** The <details> around the start on the new-incident form, as rendered. */
  const startSection = (html: string) => /<details\b[^>]*>\s*<summary>Started earlier\?<\/summary>/.exec(html)?.[0] ?? '';

  it('a start in the future: "Started earlier?" comes back open, and the summary links to the start', async () => {
    const res = await submit(admin, '/admin/incidents/new', '/admin/incidents', {
      name: 'Elevated errors',
      status: 'investigating',
      started_at: '2099-01-01T10:00',
    });
    assert.equal(res.status, 422);
    assert.match(startSection(res.text), /<details open>/);
    assert.deepEqual(summaryLinks(res.text), [{ href: '#started_at', text: 'Started at: The start cannot be in the future' }]);
    assert.match(res.text, /<p class="error-summary__title">Please correct the fields marked below.<\/p>/);
    assert.match(res.text, /id="started_at"[^>]*value="2099-01-01T10:00"[^>]*aria-invalid="true"/);
  });

  it('a start typed stays in view when another field is refused; with none typed, the section stays closed', async () => {
    let res = await submit(admin, '/admin/incidents/new', '/admin/incidents', {
      name: 'n'.repeat(201),
      status: 'investigating',
      started_at: '2026-11-30T09:00',
    });
    assert.equal(res.status, 422);
    assert.match(startSection(res.text), /<details open>/);
    assert.deepEqual(summaryLinks(res.text), [{ href: '#name', text: 'Name: Use at most 200 characters (you typed 201)' }]);
    res = await submit(admin, '/admin/incidents/new', '/admin/incidents', { name: 'n'.repeat(201), status: 'investigating' });
    assert.match(startSection(res.text), /<details>/);
  });

  it('every problem is listed in the order of the page, each with its label, linking to its field', async () => {
    const res = await submit(admin, '/admin/templates/new', '/admin/templates', {
      name: '',
      title: 't'.repeat(201),
      update_status: 'on_fire',
      body: 'b'.repeat(20_001),
    });
    assert.equal(res.status, 422);
    assert.deepEqual(summaryLinks(res.text), [
      { href: '#name', text: 'Name: Enter a name' },
      { href: '#title', text: 'Incident title: Use at most 200 characters (you typed 201)' },
      { href: '#update_status', text: 'Status: Status must be one of: investigating, identified, monitoring, resolved, postmortem' },
      { href: '#body', text: 'Message: Use at most 20,000 characters (you typed 20,001)' },
    ]);
  });

  it("a component's status links to its own select, named by the component", async () => {
    const res = await submit(admin, '/admin/incidents/new', '/admin/incidents', { name: 'X', status: 'investigating', [`components.${api}`]: 'on_fire' });
    assert.equal(res.status, 422);
    const [link] = summaryLinks(res.text);
    assert.equal(link?.href, `#c-${api}`);
    assert.match(link?.text ?? '', /^API: Status must be one of/);
    assert.match(res.text, new RegExp(`id="c-${api}"[^>]*aria-invalid="true"`));
  });

  it('a problem with a group of boxes links to its message inside the group', async () => {
    const res = await submit(admin, '/admin/chat', '/admin/chat', { kind: 'slack', name: '#incidents', url: 'http://127.0.0.1:9/slack' });
    assert.equal(res.status, 422);
    assert.deepEqual(summaryLinks(res.text), [{ href: '#topics-error', text: 'Choose at least one kind of message' }]);
    assert.match(res.text, /<fieldset>\s*<legend>Messages about<\/legend>[\s\S]*?id="topics-error"[\s\S]*?<\/fieldset>/);
  });

  it('a problem the form has no field for is still told, in the summary', async () => {
    const res = await submit(admin, '/admin/incidents/new', '/admin/incidents', {
      name: 'X',
      status: 'investigating',
      'components.nosuchthing': 'major_outage',
    });
    assert.equal(res.status, 422);
    const summary = /id="error-summary"[\s\S]*?<\/div>/.exec(res.text)?.[0] ?? '';
    assert.match(summary, /<li>[^<]+<\/li>/, 'its message, as text');
    assert.deepEqual(summaryLinks(res.text), []);
  });

  it('a refused change of role marks that row only, not every password field of the page', async () => {
    const other = p.ctx.db.prepare("SELECT id FROM users WHERE email = 'other@example.com'").pluck().get() as string;
    const res = await submit(admin, '/admin/users', `/admin/users/${other}/role`, { role: 'admin', confirm_password: 'not my password' });
    assert.equal(res.status, 422);
    assert.deepEqual(summaryLinks(res.text), [
      { href: `#confirm-${other}`, text: 'Your password, to change the role of other@example.com: That is not your password' },
    ]);
    assert.equal(res.text.match(/aria-invalid="true"/g)?.length, 1);
    assert.equal(res.text.match(/id="confirm_password-error"/g)?.length, 1);
    assert.match(res.text, new RegExp(`id="confirm-${other}"[^>]*aria-invalid="true"`));
  });

  it("a refusal of the whole form is the summary's title, with nothing to link", async () => {
    const me = p.ctx.db.prepare("SELECT id FROM users WHERE email = 'admin@example.com'").pluck().get() as string;
    const res = await submit(admin, `/admin/users/${me}/delete`, `/admin/users/${me}/delete`, {});
    assert.equal(res.status, 422);
    assert.match(res.text, /<p class="error-summary__title">You cannot delete your own account<\/p>/);
    assert.deepEqual(summaryLinks(res.text), []);
  });

  it('every admin page loads the script that focuses the first problem', async () => {
    for (const path of ['/admin', '/admin/incidents/new', '/admin/settings']) {
      assert.match((await admin.get(path).expect(200)).text, /<script src="\/js\/admin-forms\.js\?v=[0-9a-f]{10}"><\/script>/);
    }
  });
});
