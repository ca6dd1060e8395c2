import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { loadConfig } from '../../server/config.js';
import { createContext } from '../../server/compose.js';
import { createApiKey } from '../../server/domain/access/api-keys.js';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { importCsv } from '../../server/domain/subscribers/import-export.js';
import { createLog } from '../../server/log.js';
import { freePort, PharosProcess, sleep } from '../helpers/process.js';
import { TestSmtp } from '../helpers/smtp.js';

const SUBSCRIBERS = 300;
const system = { type: 'system' } as const;

/** SIGTERM and SIGINT of a real Pharos process: it drains, records every outcome, and leaves nothing "sending". */
describe('graceful shutdown', () => {
  let smtp: TestSmtp;
  let dataDir: string;
  const children: PharosProcess[] = [];
  let env: Record<string, string>;
  let key: string;
  let pageId: string;
  let incidentId: string;

  before(async () => {
    smtp = new TestSmtp();
    // A slow SMTP server: when the signal comes, messages are in flight.
    smtp.delayMs = 150;
    await smtp.start();
    dataDir = mkdtempSync(join(tmpdir(), 'pharos-shutdown-'));
    const ctx = createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), { log: createLog('silent') });
    const api = createComponent(ctx, system, { name: 'API' });
    incidentId = createIncident(ctx, system, { name: 'Attack', components: { [api.id]: 'major_outage' }, deliver_notifications: false }).id;
    key = createApiKey(ctx, { type: 'system' }, { name: 'shutdown test' }).key;
    importCsv(ctx, system, ['email', ...Array.from({ length: SUBSCRIBERS }, (_, i) => `reader${i}@example.com`)].join('\n'), true);
    pageId = ctx.pageId;
    await ctx.mail.stop();
    ctx.db.close();
    const port = await freePort();
    env = { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', SMTP_URL: smtp.url, SMTP_MAX_CONNECTIONS: '3', LOG_LEVEL: 'info' };
  });
  after(async () => {
    for (const c of children) if (c.alive) await c.kill('SIGKILL').catch(() => undefined);
    await smtp?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const states = () => {
    const db = new Database(join(dataDir, 'pharos.db'), { readonly: true });
    try {
      return Object.fromEntries(
        (db.prepare('SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state').all() as { state: string; n: number }[]).map((r) => [r.state, r.n]),
      );
    } finally {
      db.close();
    }
  };

  it('SIGTERM while mail is going out: exits 0, every message the server accepted is recorded sent, none left sending', { timeout: 120_000 }, async () => {
    const pharos = new PharosProcess(env);
    children.push(pharos);
    const base = `http://127.0.0.1:${env.PORT}`;
    await pharos.ready(`${base}/healthz`, 30_000);
    const res = await fetch(`${base}/api/v1/pages/${pageId}/incidents/${incidentId}`, {
      method: 'PATCH',
      headers: { Authorization: `OAuth ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ incident: { status: 'identified', body: 'Filtered.' } }),
    });
    assert.equal(res.status, 200);
    await smtp.until(() => smtp.received.length >= 20, 30_000);
    const signalledAt = Date.now();
    await pharos.kill('SIGTERM', 15_000);
    const exited = await pharos.exited;
    const tookMs = Date.now() - signalledAt;
    assert.equal(exited.code, 0, pharos.log);
    assert.ok(tookMs < 10_000, `drained within the bound (${tookMs} ms)`);
    assert.match(pharos.log, /shutting down/);
    assert.ok(!existsSync(join(dataDir, 'pharos.pid')), 'the data folder is unlocked');

    const after = states();
    assert.equal(after.sending, undefined, `nothing left sending: ${JSON.stringify(after)}`);
    assert.equal((after.sent ?? 0) + (after.queued ?? 0), SUBSCRIBERS, JSON.stringify(after));
    assert.ok((after.sent ?? 0) < SUBSCRIBERS, 'the signal came while mail was going out');
    const received = new Set(smtp.received.map((r) => r.to)).size;
    assert.equal(after.sent, received, 'recorded sent = accepted by the server: the sends in flight finished and were recorded');
    const db = new Database(join(dataDir, 'pharos.db'), { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      db.close();
    }
  });

  it('SIGTERM while a request is still arriving: it is answered and its change kept; new connections are refused', { timeout: 120_000 }, async () => {
    smtp.delayMs = 0;
    const pharos = new PharosProcess(env);
    children.push(pharos);
    const port = Number(env.PORT);
    await pharos.ready(`http://127.0.0.1:${port}/healthz`, 30_000);
    // An operator's API call whose body is still on its way when the signal comes.
    const body = JSON.stringify({ incident: { name: 'Posted across a shutdown', status: 'investigating', deliver_notifications: false } });
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: `/api/v1/pages/${pageId}/incidents`,
          headers: { Authorization: `OAuth ${key}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 20));
      setTimeout(() => req.end(body.slice(20)), 1500);
    });
    await sleep(300);
    pharos.child.kill('SIGTERM');
    await sleep(300);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) }), 'no new connection once stopping');
    const res = await answer;
    assert.equal(res.status, 201, res.text);
    assert.equal((await pharos.exited).code, 0, pharos.log);
    const db = new Database(join(dataDir, 'pharos.db'), { readonly: true });
    try {
      assert.equal(db.prepare("SELECT COUNT(*) FROM incidents WHERE name = 'Posted across a shutdown'").pluck().get(), 1);
    } finally {
      db.close();
    }
  });

  it('SIGINT: the next process sends the rest, each recipient once', { timeout: 120_000 }, async () => {
    smtp.delayMs = 0;
    const pharos = new PharosProcess(env);
    children.push(pharos);
    await pharos.ready(`http://127.0.0.1:${env.PORT}/healthz`, 30_000);
    await smtp.until(() => new Set(smtp.received.map((r) => r.to)).size >= SUBSCRIBERS, 60_000);
    await pharos.kill('SIGINT', 15_000);
    assert.equal((await pharos.exited).code, 0, pharos.log);
    assert.deepEqual(states(), { sent: SUBSCRIBERS });
    assert.equal(smtp.received.length, SUBSCRIBERS, 'nobody got the update twice');
  });
});
