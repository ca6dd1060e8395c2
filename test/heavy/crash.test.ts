import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
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
import { freePort, PharosProcess, sleep } from '../helpers/process.js';
import { TestSmtp } from '../helpers/smtp.js';

/**
 * kill -9 of a real Pharos process while 10,000 deliveries go out: after a restart every subscriber
 * has the update, and the duplicates are no more than the messages that were in flight (the pool size).
 */

const SUBSCRIBERS = 10_000;
const POOL = 5;
const KILL_AFTER = 1_500;
const system = { type: 'system' } as const;

describe('kill -9 while 10,000 deliveries are going out', () => {
  let smtp: TestSmtp;
  let dataDir: string;
  const children: PharosProcess[] = [];

  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
    dataDir = mkdtempSync(join(tmpdir(), 'pharos-crash-'));
  });
  after(async () => {
    for (const c of children) if (c.alive) await c.kill('SIGKILL').catch(() => undefined);
    await smtp?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('restarts and delivers to every subscriber, with duplicates no more than the pool size', { timeout: 180_000 }, async (t) => {
    const started = Date.now();

    // The data: a component, an incident, an API key, then 10,000 confirmed subscribers (so nothing is queued yet).
    const emails = Array.from({ length: SUBSCRIBERS }, (_, i) => `subscriber${String(i).padStart(5, '0')}@example.com`);
    const ctx = createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }));
    const component = createComponent(ctx, system, { name: 'API' });
    const incident = createIncident(ctx, system, {
      name: 'Large-scale malicious attacks',
      status: 'investigating',
      body: 'We are seeing a flood of malicious requests.',
      components: { [component.id]: 'major_outage' },
    });
    const { key } = createApiKey(ctx, { type: 'system' }, { name: 'crash test' });
    const imported = importCsv(ctx, system, ['email', ...emails].join('\n'), true);
    assert.equal(imported.added, SUBSCRIBERS);
    const pageId = ctx.db.prepare("SELECT value FROM settings WHERE key = 'page_id'").pluck().get() as string;
    assert.equal(pageId, ctx.pageId);
    assert.equal(ctx.db.prepare('SELECT COUNT(*) FROM deliveries').pluck().get(), 0);
    await ctx.mail.stop();
    ctx.db.close();
    t.diagnostic(`prepared ${SUBSCRIBERS} subscribers in ${Date.now() - started} ms`);

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = {
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      SMTP_URL: smtp.url,
      SMTP_MAX_CONNECTIONS: String(POOL),
      LOG_LEVEL: 'warn',
    };

    // Distinct recipients, counted as messages arrive (the SMTP server keeps them in order).
    const distinct = new Set<string>();
    let seen = 0;
    const countDistinct = () => {
      for (; seen < smtp.received.length; seen++) distinct.add(smtp.received[seen]?.to ?? '');
      return distinct.size;
    };

    const first = new PharosProcess(env);
    children.push(first);
    await first.ready(`${base}/`, 30_000);

    const posted = Date.now();
    const res = await fetch(`${base}/api/v1/pages/${pageId}/incidents/${incident.id}`, {
      method: 'PATCH',
      headers: { Authorization: `OAuth ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ incident: { status: 'identified', body: 'The attack is filtered; we are restoring service.' } }),
      signal: AbortSignal.timeout(10_000),
    });
    const answeredMs = Date.now() - posted;
    assert.equal(res.status, 200, await res.clone().text());
    t.diagnostic(`PATCH answered in ${answeredMs} ms`);

    await smtp
      .until(() => smtp.received.length >= KILL_AFTER, 60_000)
      .catch((err: unknown) => {
        throw new Error(`${String(err)}\n${first.log}`);
      });
    first.child.kill('SIGKILL');
    const killedAt = Date.now();
    const killed = await first.exited;
    assert.equal(killed.signal, 'SIGKILL');
    const firstRate = smtp.received.length / ((killedAt - posted) / 1000);
    t.diagnostic(`killed after ${smtp.received.length} received, ${((killedAt - posted) / 1000).toFixed(1)} s after the PATCH (${firstRate.toFixed(0)} msg/s)`);

    // What the dead process left behind, as recorded.
    const source = (() => {
      const db = new Database(join(dataDir, 'pharos.db'));
      try {
        const states = db.prepare('SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state').all() as { state: string; n: number }[];
        t.diagnostic(`left by the killed process: ${states.map((s) => `${s.n} ${s.state}`).join(', ')}`);
        const total = states.reduce((sum, s) => sum + s.n, 0);
        assert.equal(total, SUBSCRIBERS, 'every delivery row was committed with the update');
        const sent = states.find((s) => s.state === 'sent')?.n ?? 0;
        assert.ok(sent <= smtp.received.length, 'nothing is recorded as sent that the server did not accept');
        return db.prepare('SELECT DISTINCT source FROM deliveries').pluck().all() as string[];
      } finally {
        db.close();
      }
    })();
    assert.equal(source.length, 1);

    const second = new PharosProcess(env);
    children.push(second);
    const restarted = Date.now();
    await second.ready(`${base}/`, 30_000);
    const remaining = 170_000 - (Date.now() - started);
    await smtp
      .until(() => countDistinct() >= SUBSCRIBERS, Math.max(remaining - 20_000, 5_000))
      .catch((err: unknown) => {
        const rate = (smtp.received.length - KILL_AFTER) / ((Date.now() - restarted) / 1000);
        throw new Error(`${String(err)}; ${countDistinct()} distinct; about ${rate.toFixed(0)} msg/s after the restart\n${second.log}`);
      });
    const allAt = Date.now();

    // Let the process record its last outcomes, then stop it cleanly.
    const db = new Database(join(dataDir, 'pharos.db'));
    try {
      const open = () => db.prepare("SELECT COUNT(*) FROM deliveries WHERE state IN ('queued', 'sending')").pluck().get() as number;
      for (let i = 0; i < 100 && open() > 0; i++) await sleep(100);
      assert.equal(open(), 0, 'no delivery left queued or sending');
    } finally {
      db.close();
    }
    await second.kill('SIGTERM');

    const total = smtp.received.length;
    const unique = countDistinct();
    const duplicates = total - unique;
    const seconds = (allAt - posted) / 1000;
    t.diagnostic(
      `all ${SUBSCRIBERS} delivered ${seconds.toFixed(1)} s after the PATCH (including the restart), ` +
        `${(SUBSCRIBERS / seconds).toFixed(0)} msg/s overall, ${((total - KILL_AFTER) / ((allAt - restarted) / 1000)).toFixed(0)} msg/s after the restart; ` +
        `${total} received, ${duplicates} duplicate(s)`,
    );
    assert.equal(unique, SUBSCRIBERS);
    assert.deepEqual([...distinct].sort(), emails, 'exactly the subscribers, each of them');
    assert.ok(duplicates <= POOL, `duplicates (${duplicates}) are at most the pool size (${POOL})`);
    for (const r of smtp.received.slice(0, 3)) {
      assert.match(r.mail.subject ?? '', /Large-scale malicious attacks/);
      assert.match(r.mail.text ?? '', /The attack is filtered/);
    }

    const check = new Database(join(dataDir, 'pharos.db'));
    try {
      assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
      const states = check.prepare('SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state').all();
      assert.deepEqual(states, [{ state: 'sent', n: SUBSCRIBERS }]);
    } finally {
      check.close();
    }
    t.diagnostic(`whole test ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
});
