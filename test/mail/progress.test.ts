import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { io as connect } from 'socket.io-client';
import { createIncident } from '../../server/domain/incident-writes.js';
import { importCsv } from '../../server/domain/subscriber-csv.js';
import { addUser, startPharos, type TestPharos } from '../helpers/pharos.js';
import { PASSWORD, csrfOf } from '../helpers/pharos.js';
import { TestSmtp } from '../helpers/smtp.js';

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

  it('refuses the admin namespace to a visitor without a session', async () => {
    const socket = connect(`${p.url}/admin`, { transports: ['websocket'], reconnection: false, forceNew: true });
    const error = await new Promise<Error>((resolve) => socket.on('connect_error', resolve));
    assert.match(error.message, /unauthorized/);
    socket.close();
  });

  it('streams "N of M sent" to a signed-in operator until every message is out, and the page shows the counts', async () => {
    const cookie = await sessionCookie(p.url, 'ops@example.com');
    const socket = connect(`${p.url}/admin`, { transports: ['websocket'], extraHeaders: { Cookie: cookie }, forceNew: true });
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
    assert.ok(seen.map((s) => s.stats.sent).every((n, i, all) => i === 0 || n >= (all[i - 1] ?? 0)), 'counts only grow');

    const page = await fetch(`${p.url}/admin/incidents/${incident.id}`, { headers: { Cookie: cookie } });
    assert.match(await page.text(), new RegExp(`data-delivery-source="${source}"[\\s\\S]*300 of 300 sent · 0 failed · 0 waiting to retry`));
  });
});
