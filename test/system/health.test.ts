import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { importCsv } from '../../server/domain/subscribers/import-export.js';
import { settleMail, startPharos, type TestPharos } from '../helpers/pharos.js';
import { freePort } from '../helpers/process.js';

const system = { type: 'system' } as const;

/** What /readyz answers. */
interface Readiness {
  status: string;
  checks: {
    database: { ok: boolean; error?: string };
    migrations: { ok: boolean; pending: string[] };
    mail: { transport: string; state?: string; lastErrorAt?: string };
  };
}

describe('health and readiness for load balancers', () => {
  let p: TestPharos;
  before(async () => {
    p = await startPharos();
  });
  after(() => p.close());

  it('/healthz answers while the process runs, never cached', async () => {
    const res = await request(p.app).get('/healthz').expect(200);
    assert.deepEqual(res.body, { status: 'ok' });
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  it('/readyz is ready with a writable database and every migration applied, and says how mail goes', async () => {
    const res = await request(p.app).get('/readyz').expect(200);
    assert.equal((res.body as Readiness).status, 'ready');
    assert.equal((res.body as Readiness).checks.database.ok, true);
    assert.deepEqual((res.body as Readiness).checks.migrations, { ok: true, pending: [] });
    assert.equal((res.body as Readiness).checks.mail.transport, 'file');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.doesNotMatch(JSON.stringify(res.body), new RegExp(p.dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'no path of the machine');
  });

  it('/readyz is 503 while the database refuses writes, and the probe itself changes nothing', async () => {
    const before = p.ctx.db.prepare("SELECT value FROM settings WHERE key = 'page_id'").pluck().get();
    p.ctx.db.pragma('query_only = ON');
    // Probed at most once a second.
    p.clock.advance(1_000);
    try {
      const res = await request(p.app).get('/readyz').expect(503);
      assert.equal((res.body as Readiness).status, 'not ready');
      assert.equal((res.body as Readiness).checks.database.ok, false);
      assert.match((res.body as Readiness).checks.database.error ?? '', /readonly/);
      // The page itself is still served from memory.
      await request(p.app).get('/').expect(200);
    } finally {
      p.ctx.db.pragma('query_only = OFF');
    }
    p.clock.advance(1_000);
    await request(p.app).get('/readyz').expect(200);
    assert.equal(p.ctx.db.prepare("SELECT value FROM settings WHERE key = 'page_id'").pluck().get(), before);
  });

  it('/readyz probes at most once a second, and every caller within it shares the answer (it is public)', async () => {
    p.clock.advance(1_000);
    await request(p.app).get('/readyz').expect(200);
    // Within the same second, a database that just stopped taking writes is not probed again...
    p.ctx.db.pragma('query_only = ON');
    try {
      for (let i = 0; i < 20; i++) await request(p.app).get('/readyz').expect(200);
      p.clock.advance(999);
      await request(p.app).get('/readyz').expect(200);
      // ...a second later it is.
      p.clock.advance(1);
      await request(p.app).get('/readyz').expect(503);
    } finally {
      p.ctx.db.pragma('query_only = OFF');
    }
    p.clock.advance(1_000);
    await request(p.app).get('/readyz').expect(200);
  });

  it('/readyz is 503 and names the migration while one is not applied', async () => {
    const last = p.ctx.db.prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version DESC LIMIT 1').get() as {
      version: string;
      applied_at: string;
    };
    p.ctx.db.prepare('DELETE FROM schema_migrations WHERE version = ?').run(last.version);
    p.clock.advance(1_000);
    try {
      const res = await request(p.app).get('/readyz').expect(503);
      assert.deepEqual((res.body as Readiness).checks.migrations, { ok: false, pending: [last.version] });
    } finally {
      p.ctx.db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(last.version, last.applied_at);
    }
  });
});

describe('readiness while the SMTP server is down', () => {
  let p: TestPharos;
  before(async () => {
    // A loopback port nothing listens on.
    const port = await freePort();
    p = await startPharos({ env: { SMTP_URL: `smtp://127.0.0.1:${port}` } });
  });
  after(() => p.close());

  it('stays ready (the page must stay up) and says mail is waiting for the SMTP server', async () => {
    const api = createComponent(p.ctx, system, { name: 'API' });
    importCsv(p.ctx, system, 'email\nreader@example.com', true);
    createIncident(p.ctx, system, { name: 'API outage', components: { [api.id]: 'major_outage' } });
    await settleMail(p);
    const res = await request(p.app).get('/readyz').expect(200);
    assert.equal((res.body as Readiness).checks.mail.transport, 'smtp');
    assert.equal((res.body as Readiness).checks.mail.state, 'waiting for the SMTP server');
    assert.ok((res.body as Readiness).checks.mail.lastErrorAt, 'when the last attempt failed');
    assert.doesNotMatch(JSON.stringify(res.body), /127\.0\.0\.1/, 'no host named');
  });
});
