import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addUser, PASSWORD, startPharos, type TestPharos } from '../helpers/pharos.js';

/**
 * The attacks that got through the login throttle, replayed: bursts of parallel guesses (for one
 * account, and for unknown accounts from one or many addresses), and an attacker locking an operator
 * out during an incident. Clients come from distinct loopback addresses (127.0.x.y), as distinct
 * networks would. The test clock stands still, so a wait once imposed never runs out here.
 */

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request from a given local address, with the cookies given; cookies set are returned in headers. */
function send(url: string, opts: { method?: string; from?: string; cookie?: string; form?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
    const req = httpRequest(
      url,
      {
        method: opts.method ?? (body ? 'POST' : 'GET'),
        localAddress: opts.from ?? '127.0.0.1',
        agent: false,
        headers: {
          Accept: 'text/html',
          ...(opts.cookie ? { Cookie: opts.cookie } : {}),
          ...(body ? { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const cookiesOf = (a: Answer) => (a.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

/** A browser on the login page: its anonymous cookie and the form's CSRF token. */
async function loginForm(p: TestPharos, from: string, cookie = ''): Promise<{ cookie: string; csrf: string }> {
  const page = await send(`${p.url}/admin/login`, { from, cookie });
  assert.equal(page.status, 200);
  const set = cookiesOf(page);
  return { cookie: [cookie, set].filter(Boolean).join('; '), csrf: csrfOf(page.body) };
}

function attempt(p: TestPharos, form: { cookie: string; csrf: string }, from: string, email: string, password: string): Promise<Answer> {
  return send(`${p.url}/admin/login`, { from, cookie: form.cookie, form: { _csrf: form.csrf, email, password, next: '/admin' } });
}

const checked = (answers: Answer[]) => answers.filter((a) => a.status !== 429).length;

function refusedProperly(answers: Answer[]): void {
  for (const a of answers.filter((x) => x.status === 429)) {
    assert.match(String(a.headers['retry-after']), /^\d+$/, 'a 429 says when to come back');
    assert.match(a.body, /Try again in \d+ seconds?\./);
  }
}

describe('parallel password guessing', () => {
  let p: TestPharos;
  before(async () => {
    p = await startPharos({ listen: true });
    await addUser(p, 'admin@example.com', 'admin');
  });
  after(() => p.close());

  it('checks at most 5 of 30 attempts sent at once for one account; the right password inside the burst does not get in', async () => {
    const forms = await Promise.all(Array.from({ length: 30 }, () => loginForm(p, '127.0.2.1')));
    const wrong = forms.slice(0, 29).map((f, i) => attempt(p, f, '127.0.2.1', 'admin@example.com', `guess number ${i}`));
    // The right password arrives while the first guesses are still being hashed.
    await new Promise((r) => setTimeout(r, 20));
    const right = attempt(p, forms[29] ?? { cookie: '', csrf: '' }, '127.0.2.1', 'admin@example.com', PASSWORD);
    const answers = await Promise.all([...wrong, right]);
    assert.ok(checked(answers) <= 5, `${checked(answers)} passwords checked: ${answers.map((a) => a.status).join(' ')}`);
    assert.ok(answers.filter((a) => a.status === 429).length >= 25);
    refusedProperly(answers);
    const rightAnswer = answers[29];
    assert.equal(rightAnswer?.status, 429, 'the right password was not even checked');
    assert.ok(!cookiesOf(rightAnswer).includes('pharos_session=') || /pharos_session=;/.test(cookiesOf(rightAnswer)), 'no session');
    assert.ok(
      answers.every((a) => a.status !== 303),
      'nobody signed in',
    );
  });

  it('checks at most a few of 40 attempts sent at once for unknown accounts from one address', async () => {
    const forms = await Promise.all(Array.from({ length: 40 }, () => loginForm(p, '127.0.3.1')));
    const answers = await Promise.all(forms.map((f, i) => attempt(p, f, '127.0.3.1', `nobody${i}@example.com`, 'guess')));
    assert.ok(checked(answers) <= 10, `${checked(answers)} checked`);
    refusedProperly(answers);
  });

  it('keeps serving the status page and its files while 40 addresses try at once, hashing a bounded number at a time', async () => {
    const sources = Array.from({ length: 40 }, (_, i) => `127.0.4.${i + 1}`);
    const forms = await Promise.all(sources.map((from) => loginForm(p, from)));
    const order: string[] = [];
    const logins = forms.map((f, i) =>
      attempt(p, f, sources[i] ?? '', `unknown${i}@example.com`, 'guess').then((a) => {
        order.push(`login ${a.status}`);
        return a;
      }),
    );
    await new Promise((r) => setTimeout(r, 20));
    const css = readdirSync(join(p.ctx.root, 'public', 'css')).find((f) => f.endsWith('.css')) ?? '';
    const page = send(`${p.url}/`, { from: '127.0.5.1' }).then((a) => (order.push('status page'), a));
    const file = send(`${p.url}/css/${css}`, { from: '127.0.5.2' }).then((a) => (order.push('static file'), a));
    const [pageAnswer, fileAnswer, ...answers] = await Promise.all([page, file, ...logins]);
    assert.equal(pageAnswer?.status, 200);
    assert.equal(fileAnswer?.status, 200);
    // Password checks share libuv's thread pool with file reads: bounded, they leave it room.
    const checkedBefore = (what: string) => order.slice(0, order.indexOf(what)).filter((o) => o !== 'login 429').length;
    assert.ok(checkedBefore('static file') <= 2, `the file waited for ${checkedBefore('static file')} password checks: ${order.join(', ')}`);
    assert.ok(checkedBefore('status page') <= 2, `the page waited for ${checkedBefore('status page')} password checks`);
    // At most 2 running and 16 waiting; the others are told to come back.
    assert.ok(checked(answers) <= 18, `${checked(answers)} checked`);
    refusedProperly(answers);
    assert.ok(
      answers.some((a) => /checking many passwords right now/.test(a.body)),
      'the busy answer says so',
    );
  });
});

describe('locking an operator out', () => {
  let p: TestPharos;
  before(async () => {
    p = await startPharos({ listen: true });
    await addUser(p, 'admin@example.com', 'admin');
  });
  after(() => p.close());

  it("cannot lock out the operator's own browser: a device cookie from an earlier sign-in has its own count", async () => {
    // The operator signed in from this browser yesterday, and signed out.
    const first = await loginForm(p, '127.0.6.1');
    const signedIn = await attempt(p, first, '127.0.6.1', 'admin@example.com', PASSWORD);
    assert.equal(signedIn.status, 303);
    const device = (signedIn.headers['set-cookie'] ?? []).find((c) => c.startsWith('pharos_device='));
    assert.ok(device, 'a device cookie');
    assert.match(device, /HttpOnly/i);
    assert.match(device, /SameSite=Strict/i);
    const browser = device.split(';')[0] ?? '';

    // Someone else guesses from elsewhere: the account is throttled.
    for (let i = 0; i < 5; i++) await attempt(p, await loginForm(p, '127.0.7.1'), '127.0.7.1', 'admin@example.com', `guess ${i}`);
    const stranger = await attempt(p, await loginForm(p, '127.0.8.1'), '127.0.8.1', 'admin@example.com', PASSWORD);
    assert.equal(stranger.status, 429, 'a browser without the cookie waits, even with the right password');

    // Someone behind the operator's own NAT guesses at many accounts: the network is throttled too.
    for (let i = 0; i < 12; i++) await attempt(p, await loginForm(p, '127.0.6.1'), '127.0.6.1', `someone${i}@example.com`, 'guess');
    assert.equal((await attempt(p, await loginForm(p, '127.0.6.1'), '127.0.6.1', 'nobody@example.com', 'guess')).status, 429);

    // The operator's browser still gets in, at once.
    const back = await attempt(p, await loginForm(p, '127.0.6.1', browser), '127.0.6.1', 'admin@example.com', PASSWORD);
    assert.equal(back.status, 303, back.body.slice(0, 300));
    assert.equal(back.headers.location, '/admin');
  });

  it('does not let a device cookie guess without limit, nor open another account; a forged one counts for nothing', async () => {
    await addUser(p, 'second@example.com', 'operator');
    const signedIn = await attempt(p, await loginForm(p, '127.0.9.1'), '127.0.9.1', 'second@example.com', PASSWORD);
    assert.equal(signedIn.status, 303);
    const browser = (signedIn.headers['set-cookie'] ?? []).find((c) => c.startsWith('pharos_device='))?.split(';')[0] ?? '';
    assert.ok(browser);
    // The account is throttled from elsewhere.
    for (let i = 0; i < 5; i++) await attempt(p, await loginForm(p, '127.0.11.1'), '127.0.11.1', 'second@example.com', `guess ${i}`);
    // A forged or altered cookie is no device cookie: the account's count applies.
    const forged = browser.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    assert.equal((await attempt(p, await loginForm(p, '127.0.10.1', forged), '127.0.10.1', 'second@example.com', PASSWORD)).status, 429);
    // The cookie of this account is no key to another (admin@ was throttled by the test before).
    assert.equal((await attempt(p, await loginForm(p, '127.0.9.1', browser), '127.0.9.1', 'admin@example.com', PASSWORD)).status, 429);
    // The device has a count of its own: 5 free failures, then waits.
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push((await attempt(p, await loginForm(p, '127.0.9.1', browser), '127.0.9.1', 'second@example.com', `typo ${i}`)).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429]);
  });
});
