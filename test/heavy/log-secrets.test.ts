import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import request from 'supertest';
import { csrfOf } from '../helpers/pharos.js';
import { freePort, PharosProcess, sleep } from '../helpers/process.js';

const ADMIN_PASSWORD = 'correct horse battery staple 42';
const WRONG_PASSWORD = 'wrong-password-typed-by-someone';
const OPERATOR_PASSWORD = 'operator password for the logs test';
const TYPED_EMAIL = 'someone.typed.this@example.net';

/** A full run of a real Pharos at LOG_LEVEL=debug: every line is JSON, and no secret appears in any. */
describe('logs of a full run', () => {
  let dataDir: string;
  let pharos: PharosProcess;
  let base: string;
  const secrets = new Map<string, string>();

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pharos-logs-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    pharos = new PharosProcess({
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
      ADMIN_EMAIL: 'admin@example.com',
      ADMIN_PASSWORD,
    });
    await pharos.ready(`${base}/healthz`, 30_000);
    secrets.set('admin password', ADMIN_PASSWORD);
    secrets.set('wrong password', WRONG_PASSWORD);
    secrets.set('operator password', OPERATOR_PASSWORD);
  });
  after(async () => {
    if (pharos?.alive) await pharos.kill('SIGKILL');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('operators, the API and subscribers leave no password, key, cookie, CSRF or subscriber token in the logs', { timeout: 120_000 }, async () => {
    // A failed sign-in, then a real one.
    const stranger = request.agent(base);
    const loginPage = await stranger.get('/admin/login').expect(200);
    await stranger
      .post('/admin/login')
      .type('form')
      .send({ _csrf: csrfOf(loginPage.text), email: 'admin@example.com', password: WRONG_PASSWORD });
    // What someone typed as an address is theirs (or a password typed in the wrong field): not logged either.
    await stranger
      .post('/admin/login')
      .type('form')
      .send({ _csrf: csrfOf(loginPage.text), email: TYPED_EMAIL, password: WRONG_PASSWORD })
      .expect(401);
    secrets.set('address typed at a failed sign-in', TYPED_EMAIL);
    const admin = request.agent(base);
    const page = await admin.get('/admin/login').expect(200);
    secrets.set('login CSRF token', csrfOf(page.text));
    const signedIn = await admin
      .post('/admin/login')
      .type('form')
      .send({ _csrf: csrfOf(page.text), email: 'admin@example.com', password: ADMIN_PASSWORD, next: '/admin' })
      .expect(303);
    const cookie = /=([^;]+)/.exec(String(signedIn.headers['set-cookie']?.[0] ?? ''))?.[1] ?? '';
    assert.ok(cookie.length > 10, 'a session cookie');
    secrets.set('session cookie', decodeURIComponent(cookie));

    // An operator account and an API key through the admin forms.
    const users = await admin.get('/admin/users').expect(200);
    await admin
      .post('/admin/users')
      .type('form')
      .send({ _csrf: csrfOf(users.text), email: 'op@example.com', name: 'Op', role: 'operator', password: OPERATOR_PASSWORD, confirm_password: ADMIN_PASSWORD })
      .expect(303);
    const keys = await admin.get('/admin/api-keys').expect(200);
    const created = await admin
      .post('/admin/api-keys')
      .type('form')
      .send({ _csrf: csrfOf(keys.text), name: 'deploy bot', confirm_password: ADMIN_PASSWORD })
      .expect(201);
    const key = /<code class="secret">([^<]+)<\/code>/.exec(created.text)?.[1] ?? '';
    assert.match(key, /^pharos_/);
    secrets.set('API key', key);

    // The API with that key: a component and an incident; a wrong key too.
    const settings = await admin.get('/admin/settings').expect(200);
    const pageId = /Page id<\/dt><dd><code>([^<]+)<\/code>/.exec(settings.text)?.[1] ?? '';
    assert.ok(pageId, 'the page id on the settings page');
    const component = await request(base)
      .post(`/api/v1/pages/${pageId}/components`)
      .set('Authorization', `OAuth ${key}`)
      .send({ component: { name: 'API' } })
      .expect(201);
    await request(base)
      .post(`/api/v1/pages/${pageId}/incidents`)
      .set('Authorization', `Bearer ${key}`)
      .send({
        incident: { name: 'Attack', status: 'investigating', body: 'Filtering.', components: { [(component.body as { id: string }).id]: 'major_outage' } },
      })
      .expect(201);
    await request(base).get(`/api/v1/pages/${pageId}/incidents`).set('Authorization', 'OAuth pharos_not-a-real-key-but-secret-looking').expect(401);
    secrets.set('wrong API key', 'pharos_not-a-real-key-but-secret-looking');
    // The key in the query string (?api_key=, as some Statuspage automation sends it), and a wrong one there.
    await request(base)
      .get(`/api/v1/pages/${pageId}/incidents.json?api_key=${encodeURIComponent(key)}`)
      .expect(200);
    await request(base).get(`/api/v1/pages/${pageId}/incidents.json?per_page=1&api_key=pharos_wrong-key-in-a-query-string`).expect(401);
    secrets.set('wrong API key in the query', 'pharos_wrong-key-in-a-query-string');

    // A subscriber: subscribe, confirm from the mail (written as .eml), manage, unsubscribe.
    await request(base).post('/subscribe').type('form').send({ email: 'reader@example.com', scope: 'all' }).expect(200);
    let text = '';
    for (let i = 0; i < 100 && !text; i++) {
      await sleep(50);
      const files = readdirSync(join(dataDir, 'mail')).filter((f) => f.endsWith('.eml'));
      const parsed = await Promise.all(files.map(async (f) => (await simpleParser(readFileSync(join(dataDir, 'mail', f)))).text ?? ''));
      text = parsed.find((t) => t.includes('/subscriptions/confirm/')) ?? '';
    }
    const confirm = /\/subscriptions\/confirm\/([\w.~-]+)/.exec(text)?.[1] ?? '';
    assert.ok(confirm.length > 20, `a confirmation token in: ${text}`);
    secrets.set('confirmation token', confirm);
    await request(base).get(`/subscriptions/confirm/${confirm}`).expect(200);
    await request(base).post(`/subscriptions/confirm/${confirm}`).expect(200);
    const manage = /\/subscriptions\/manage\/([\w.~-]+)/.exec(text)?.[1];
    if (manage) secrets.set('manage token', manage);
    // An update mailed to the confirmed subscriber carries the unsubscribe link.
    await request(base)
      .post(`/api/v1/pages/${pageId}/incidents`)
      .set('Authorization', `OAuth ${key}`)
      .send({ incident: { name: 'Second attack', status: 'investigating', body: 'Filtering again.' } })
      .expect(201);
    let unsubscribe: string | undefined;
    for (let i = 0; i < 100 && !unsubscribe; i++) {
      await sleep(50);
      for (const f of readdirSync(join(dataDir, 'mail')).filter((n) => n.endsWith('.eml'))) {
        const raw = readFileSync(join(dataDir, 'mail', f), 'utf8');
        unsubscribe ??= /\/unsubscribe\/([\w.~-]+)>/.exec(raw.replace(/\r?\n\s+/g, ''))?.[1];
      }
    }
    assert.ok(unsubscribe, 'an unsubscribe link in the update mail');
    secrets.set('unsubscribe token', unsubscribe);
    await request(base).post(`/unsubscribe/${unsubscribe}`).type('form').send({ 'List-Unsubscribe': 'One-Click' }).expect(200);
    // A token in a query string, and a proxy's request id.
    await request(base).get('/setup?token=query-string-secret-value-123456').expect(404);
    secrets.set('query string token', 'query-string-secret-value-123456');
    // (The fast path answers the public documents unlogged: a request through Express.)
    const traced = await request(base).get('/readyz').set('X-Request-Id', 'trace-from-the-proxy-1').expect(200);
    assert.equal(traced.headers['x-request-id'], 'trace-from-the-proxy-1');

    await sleep(200);
    await pharos.kill('SIGTERM');
    const sessionSecret = readdirSync(dataDir).includes('session-secret') ? readFileSync(join(dataDir, 'session-secret'), 'utf8').trim() : '';
    if (sessionSecret) secrets.set('session secret', sessionSecret);

    const lines = pharos.log.split('\n').filter((l) => l.trim());
    assert.ok(lines.length > 20, `a full run logs (${lines.length} lines)`);
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `not JSON: ${line}`);
    for (const [what, value] of secrets) {
      const found = lines.find((l) => l.includes(value));
      assert.equal(found, undefined, `the ${what} appears in a log line: ${found}`);
    }
    const requests = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request');
    assert.ok(requests.length > 10);
    assert.ok(
      requests.every((r) => typeof r.req_id === 'string' && typeof r.status === 'number'),
      'every request line has its id and status',
    );
    assert.ok(requests.some((r) => r.req_id === 'trace-from-the-proxy-1' && r.path === '/readyz'));
    assert.ok(
      requests.some((r) => r.path === '/subscriptions/confirm/:redacted'),
      'token paths are logged redacted',
    );
  });
});
