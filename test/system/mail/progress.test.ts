import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { io as connect } from 'socket.io-client';
import { createIncident } from '../../../server/domain/incidents/writes.js';
import { importCsv } from '../../../server/domain/subscribers/import-export.js';
import { addUser, startPharos, type TestPharos } from '../../helpers/pharos.js';
import { PASSWORD, csrfOf } from '../../helpers/pharos.js';
import { TestSmtp } from '../../helpers/smtp.js';

const system = { type: 'system' } as const;

/** Signs in over real HTTP and returns the session cookie, as a browser would hold it. */
async function sessionCookie(url: string, email: string): Promise<string> {
  const page = await fetch(`${url}/admin/login`);
  const anon = (page.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
  const res = await fetch(`${url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: anon },
    body: new URLSearchParams({ _csrf: csrfOf(await page.text()), email, password: PASSWORD, next: '/admin' }),
  });
  assert.equal(res.status, 303);
  return (res.headers.getSetCookie().find((c) => c.startsWith('pharos_session=')) ?? '').split(';')[0] ?? '';
}

describe('live delivery progress for operators', () => {
  let smtp: TestSmtp;
  let p: TestPharos;
  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
    p = await startPharos({ listen: true, env: { SMTP_URL: smtp.url } });
    await addUser(p, 'ops@example.com', 'operator');
    importCsv(p.ctx, system, Array.from({ length: 300 }, (_, i) => `r${i}@example.com`).join('\n'), true);
  });
  after(async () => {
    await p.close();
    await smtp.stop();
  });

  it('refuses the admin server to a visitor without a session, at the handshake (no websocket opened)', async () => {
    const socket = connect(p.url, { path: '/admin/live/', transports: ['websocket'], reconnection: false, forceNew: true });
    const error = await new Promise<Error & { description?: { message?: string } }>((resolve) => socket.on('connect_error', resolve));
    assert.match(String(error.description?.message), /Unexpected server response: 400/);
    socket.close();
  });

  it('streams "N of M sent" to a signed-in operator until every message is out, and the page shows the counts', async () => {
    const cookie = await sessionCookie(p.url, 'ops@example.com');
    const socket = connect(p.url, { path: '/admin/live/', transports: ['websocket'], extraHeaders: { Cookie: cookie }, forceNew: true });
    await new Promise<void>((resolve, reject) => {
      socket.on('connect', () => resolve());
      socket.on('connect_error', reject);
    });
    const seen: { source: string; stats: { total: number; sent: number } }[] = [];
    const done = new Promise<void>((resolve) =>
      socket.on('delivery.progress', (progress: { source: string; stats: { total: number; sent: number } }) => {
        seen.push(progress);
        if (progress.stats.sent === progress.stats.total) resolve();
      }),
    );
    const incident = createIncident(p.ctx, system, { name: 'Mass mail', body: 'Everyone hears of this.' });
    const source = `update:${incident.incident_updates[0]?.id}`;
    await done;
    socket.close();
    assert.ok(seen.length >= 1 && seen.every((s) => s.source === source));
    assert.deepEqual(seen.at(-1)?.stats.total, 300);
    assert.ok(
      seen.map((s) => s.stats.sent).every((n, i, all) => i === 0 || n >= (all[i - 1] ?? 0)),
      'counts only grow',
    );

    const page = await fetch(`${p.url}/admin/incidents/${incident.id}`, { headers: { Cookie: cookie } });
    assert.match(await page.text(), new RegExp(`data-delivery-source="${source}"[\\s\\S]*300 of 300 sent · 0 failed · 0 waiting to retry`));
  });
});

describe('admin sockets live no longer than their session', () => {
  let smtp: TestSmtp;
  let p: TestPharos;
  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
    p = await startPharos({ listen: true, env: { SMTP_URL: smtp.url } });
    await addUser(p, 'admin@example.com', 'admin');
    await addUser(p, 'ops@example.com', 'operator');
    importCsv(p.ctx, system, 'reader@example.com\n', true);
  });
  after(async () => {
    await p.close();
    await smtp.stop();
  });

  /** An /admin socket opened with this cookie; resolves once connected. */
  async function open(cookie: string, origin?: string) {
    const socket = connect(p.url, {
      path: '/admin/live/',
      transports: ['websocket'],
      extraHeaders: { Cookie: cookie, ...(origin ? { Origin: origin } : {}) },
      forceNew: true,
      reconnection: false,
    });
    const progress: string[] = [];
    socket.on('delivery.progress', (m: { source: string }) => progress.push(m.source));
    const closed = new Promise<string>((resolve) => socket.on('disconnect', (reason) => resolve(reason)));
    await new Promise<void>((resolve, reject) => {
      socket.on('connect', () => resolve());
      socket.on('connect_error', reject);
    });
    return { socket, progress, closed };
  }

  /** A form post from the signed-in browser holding `cookie`, with the CSRF token of `page`. */
  async function post(cookie: string, page: string, action: string, fields: Record<string, string>): Promise<number> {
    const form = await fetch(`${p.url}${page}`, { headers: { Cookie: cookie } });
    const res = await fetch(`${p.url}${action}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrfOf(await form.text()), ...fields }),
    });
    await res.arrayBuffer();
    return res.status;
  }

  /** Mail goes out (to the one subscriber): a socket still open would be told. */
  async function mailGoesOut(name: string): Promise<string> {
    const incident = createIncident(p.ctx, system, { name, body: 'Mail for everyone.' });
    const source = `update:${incident.incident_updates[0]?.id}`;
    await smtp.until(() => smtp.received.some((r) => r.mail.subject?.includes(name)));
    await new Promise((r) => setTimeout(r, 400));
    return source;
  }

  it('disconnects at sign-out, and sends it no progress after', async () => {
    const cookie = await sessionCookie(p.url, 'ops@example.com');
    const { progress, closed } = await open(cookie);
    assert.equal(await post(cookie, '/admin', '/admin/logout', {}), 303);
    assert.equal(await closed, 'io server disconnect');
    const source = await mailGoesOut('After sign-out');
    assert.ok(!progress.includes(source));
  });

  it('disconnects when the session is signed out from another, its role changes, or the account is deleted', async () => {
    const admin = await sessionCookie(p.url, 'admin@example.com');
    // Signed out from another session of the same user.
    const other = await open(await sessionCookie(p.url, 'admin@example.com'));
    assert.equal(await post(admin, '/admin/account', '/admin/account/sign-out-others', {}), 200);
    assert.equal(await other.closed, 'io server disconnect');
    // A role change.
    const ops = await open(await sessionCookie(p.url, 'ops@example.com'));
    const opsId = p.ctx.db.prepare("SELECT id FROM users WHERE email = 'ops@example.com'").pluck().get() as string;
    assert.equal(await post(admin, '/admin/users', `/admin/users/${opsId}/role`, { role: 'admin', confirm_password: PASSWORD }), 303);
    assert.equal(await ops.closed, 'io server disconnect');
    // The account deleted.
    const again = await open(await sessionCookie(p.url, 'ops@example.com'));
    assert.equal(await post(admin, `/admin/users/${opsId}/delete`, `/admin/users/${opsId}/delete`, { confirm_password: PASSWORD }), 303);
    assert.equal(await again.closed, 'io server disconnect');
  });

  it('disconnects once the session has expired, before any more progress reaches it', async () => {
    const cookie = await sessionCookie(p.url, 'admin@example.com');
    const { progress, closed } = await open(cookie);
    p.clock.advance(31 * 60_000);
    const source = await mailGoesOut('After expiry');
    assert.equal(await closed, 'io server disconnect');
    assert.ok(!progress.includes(source));
  });

  it('checks the Origin of the handshake against PUBLIC_URL', async () => {
    const cookie = await sessionCookie(p.url, 'admin@example.com');
    // Refused at the Engine.IO handshake: the websocket is never opened.
    await assert.rejects(open(cookie, 'https://evil.example'), (err: Error & { description?: { message?: string } }) =>
      /Unexpected server response: 400/.test(String(err.description?.message)),
    );
    const ours = await open(cookie, new URL(p.url).origin);
    ours.socket.close();
  });
});
