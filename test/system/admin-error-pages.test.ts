import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { addUser, csrfOf, signIn, startPharos, type Agent, type TestPharos } from '../helpers/pharos.js';

/** An operator who hits an error inside the admin stays in the admin, with a way back to the form. */
describe('error pages inside the admin', () => {
  let p: TestPharos;
  let ops: Agent;
  let id = '';
  before(async () => {
    p = await startPharos();
    await addUser(p, 'ops@example.com', 'operator');
    ops = await signIn(p, 'ops@example.com');
    id = createIncident(p.ctx, { type: 'system' }, { name: 'Slow checkout', body: 'Looking.' }).id;
  });
  after(() => p.close());

  it('a message over 1 MB: 413 in the admin layout, with its navigation and a link back to the form', async () => {
    const form = await ops.get(`/admin/incidents/${id}`).expect(200);
    const res = await ops
      .post(`/admin/incidents/${id}/updates`)
      .set('Referer', `http://localhost:3000/admin/incidents/${id}`)
      .type('form')
      .send({ _csrf: csrfOf(form.text), status: 'identified', body: 'x'.repeat(1_100_000) });
    assert.equal(res.status, 413);
    assert.match(res.text, /<nav aria-label="Admin"/);
    assert.match(res.text, new RegExp(`<a href="/admin/incidents/${id}">Back to the form</a>`));
    assert.doesNotMatch(res.text, /Back to the status page/);
  });

  it('a page that does not exist: the admin layout and a way to the dashboard', async () => {
    const res = await ops.get('/admin/incidents/nosuchthing').expect(404);
    assert.match(res.text, /<nav aria-label="Admin"/);
    assert.match(res.text, /<a href="\/admin">Back to the dashboard<\/a>/);
  });

  it('the limits are on the fields before anything is sent', async () => {
    const page = (await ops.get(`/admin/incidents/${id}`).expect(200)).text;
    assert.match(page, /<textarea id="body" name="body" rows="6" data-maxlength="20000"/);
    assert.match(page, /up to 20,000 characters/);
    assert.match((await ops.get('/admin/incidents/new').expect(200)).text, /<input id="name" name="name" type="text" required data-maxlength="200"/);
  });

  it('every admin page says which Pharos it is and links its licence; the System page has an About', async () => {
    const page = (await ops.get('/admin').expect(200)).text;
    assert.match(page, /Pharos \d+\.\d+\.\d+ · free software under the <a href="\/admin\/license">MIT License<\/a>/);
    const license = await ops.get('/admin/license').expect(200);
    assert.match(license.text, /<pre class="license">MIT License/);
    assert.match(license.text, /<nav aria-label="Admin"/);
  });
});
