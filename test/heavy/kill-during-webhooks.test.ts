import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../server/config.js';
import { createContext } from '../../server/compose.js';
import { createApiKey } from '../../server/domain/access/api-keys.js';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { freePort, PharosProcess } from '../helpers/process.js';
import { Receiver } from '../helpers/receiver.js';

/**
 * kill -9 of a real Pharos process while 2,000 webhooks go out to a slow receiver: after a restart
 * every webhook has the update (by its X-Pharos-Delivery id), and the duplicates are no more than the
 * deliveries that were in flight (the worker's 32 lanes) plus those answered but not yet recorded:
 * outcomes are written together once per turn of the event loop, and in one turn each lane can finish
 * at most one delivery, so at most 2 × 32.
 */

const WEBHOOKS = 2_000;
const LANES = 32;
const system = { type: 'system' } as const;

describe('kill -9 while 2,000 webhooks are being delivered', () => {
  let receiver: Receiver;
  let dataDir: string;
  const children: PharosProcess[] = [];
  before(async () => {
    receiver = new Receiver();
    await receiver.start();
    dataDir = mkdtempSync(join(tmpdir(), 'pharos-hooks-crash-'));
  });
  after(async () => {
    for (const c of children) if (c.alive) await c.kill('SIGKILL').catch(() => undefined);
    await receiver.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses none, and repeats no more than were in flight', { timeout: 180_000 }, async (t) => {
    const ctx = createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }));
    const component = createComponent(ctx, system, { name: 'API' });
    const incident = createIncident(ctx, system, { name: 'Attack', components: { [component.id]: 'major_outage' }, deliver_notifications: false });
    const { key } = createApiKey(ctx, system, { name: 'crash test' });
    const at = new Date().toISOString();
    const insert = ctx.db.prepare(
      `INSERT INTO endpoints (id, kind, name, url, email, signing_secret, created_by, allow_private, verified_at, created_at, updated_at)
       VALUES (?, 'webhook', ?, ?, 'ops@example.com', 'whsec_test', 'admin', 1, ?, ?, ?)`,
    );
    ctx.db.transaction(() => {
      for (let i = 0; i < WEBHOOKS; i++) insert.run(`hook${i}`, receiver.url(`/h/${i}`), receiver.url(`/h/${i}`), at, at, at);
    })();
    const pageId = ctx.pageId;
    await Promise.all([ctx.mail.stop(), ctx.hooks.stop()]);
    ctx.db.close();

    // A slow receiver (each answer after 20 ms), so that the kill falls in the middle.
    receiver.delayMs = 20;
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
    const first = new PharosProcess(env);
    children.push(first);
    await first.ready(`${base}/`, 30_000);
    const res = await fetch(`${base}/api/v1/pages/${pageId}/incidents/${incident.id}`, {
      method: 'PATCH',
      headers: { Authorization: `OAuth ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ incident: { status: 'identified', body: 'Filtered.', components: { [component.id]: 'major_outage' } } }),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(res.status, 200, await res.text());
    const incidentPosts = () => receiver.received.filter((r) => r.raw.includes('"incident"'));
    await receiver.until(() => incidentPosts().length >= 300, 60_000);
    first.child.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');
    const beforeRestart = incidentPosts().length;
    t.diagnostic(`killed after ${beforeRestart} of ${WEBHOOKS} webhooks received`);
    assert.ok(beforeRestart < WEBHOOKS, 'the kill fell in the middle');

    const second = new PharosProcess(env);
    children.push(second);
    await second.ready(`${base}/`, 30_000);
    const byDelivery = () => new Set(incidentPosts().map((r) => String(r.headers['x-pharos-delivery'])));
    const byPath = () => new Set(incidentPosts().map((r) => r.path));
    await receiver.until(() => byPath().size === WEBHOOKS, 120_000);
    const duplicates = incidentPosts().length - byDelivery().size;
    t.diagnostic(`after the restart: all ${WEBHOOKS} received, ${duplicates} twice (same X-Pharos-Delivery)`);
    assert.equal(byDelivery().size, WEBHOOKS, 'one delivery id per webhook');
    assert.ok(duplicates <= 2 * LANES, `${duplicates} duplicates, at most the ${LANES} in flight and ${LANES} answered but not yet recorded`);
    await second.kill('SIGTERM');
  });
});
