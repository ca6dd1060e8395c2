import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { loadConfig } from '../../server/config.js';
import { createContext } from '../../server/compose.js';
import { createApiKey } from '../../server/domain/access/api-keys.js';
import { createComponent } from '../../server/domain/page/components.js';
import { importCsv } from '../../server/domain/subscribers/import-export.js';
import { createLog } from '../../server/log.js';
import { projectRoot } from '../../server/lib/paths.js';
import { freePort, PharosProcess, sleep } from '../helpers/process.js';

const system = { type: 'system' } as const;
const SUBSCRIBERS = 200;

function readOnly<T>(file: string, read: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** kill -9 of real processes in the middle of writes: nothing acknowledged is lost, nothing is half there. */
describe('kill -9 during writes', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pharos-kill-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('during incident posts: every acknowledged incident is there with its update, components and mail; none is half there', { timeout: 120_000 }, async () => {
    const dataDir = join(dir, 'posts');
    const ctx = createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), { log: createLog('silent') });
    const api = createComponent(ctx, system, { name: 'API' }).id;
    const key = createApiKey(ctx, { type: 'system' }, { name: 'kill test' }).key;
    importCsv(ctx, system, ['email', ...Array.from({ length: SUBSCRIBERS }, (_, i) => `reader${i}@example.com`)].join('\n'), true);
    const pageId = ctx.pageId;
    await ctx.mail.stop();
    ctx.db.close();

    const port = await freePort();
    const env = { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
    const pharos = new PharosProcess(env);
    await pharos.ready(`http://127.0.0.1:${port}/healthz`, 30_000);
    // Operators posting as fast as they can, several at a time, until the process dies under them.
    const acknowledged = new Set<string>();
    let sent = 0;
    const operator = async (n: number) => {
      for (let i = 0; ; i++) {
        const name = `Attack wave ${n}.${i}`;
        sent++;
        try {
          const res = await fetch(`http://127.0.0.1:${port}/api/v1/pages/${pageId}/incidents`, {
            method: 'POST',
            headers: { Authorization: `OAuth ${key}`, 'Content-Type': 'application/json' },
            body: JSON.stringify({ incident: { name, status: 'investigating', body: `Wave ${n}.${i} is filtered.`, components: { [api]: 'major_outage' } } }),
          });
          if (res.status === 201) acknowledged.add(name);
        } catch {
          return;
        }
      }
    };
    const operators = [1, 2, 3, 4].map(operator);
    while (acknowledged.size < 30) await sleep(10);
    pharos.child.kill('SIGKILL');
    await pharos.exited;
    await Promise.all(operators);

    const file = join(dataDir, 'pharos.db');
    const found = readOnly(file, (db) => {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      assert.deepEqual(db.pragma('foreign_key_check'), []);
      return db
        .prepare(
          `SELECT i.name, (SELECT COUNT(*) FROM incident_updates u WHERE u.incident_id = i.id) AS updates,
                  (SELECT COUNT(*) FROM incident_components c WHERE c.incident_id = i.id) AS components,
                  (SELECT COUNT(*) FROM deliveries d JOIN incident_updates u ON d.source = 'update:' || u.id WHERE u.incident_id = i.id) AS mail
           FROM incidents i WHERE i.name LIKE 'Attack wave %'`,
        )
        .all() as { name: string; updates: number; components: number; mail: number }[];
    });
    const byName = new Map(found.map((f) => [f.name, f]));
    for (const name of acknowledged) assert.ok(byName.has(name), `acknowledged but lost: ${name}`);
    for (const f of found) {
      assert.equal(f.updates, 1, `${f.name}: its update`);
      assert.equal(f.components, 1, `${f.name}: its component`);
      assert.equal(f.mail, SUBSCRIBERS, `${f.name}: one queued message per subscriber`);
    }
    assert.ok(found.length >= acknowledged.size && found.length <= sent, `${found.length} incidents for ${acknowledged.size} acknowledged of ${sent} sent`);

    // The next process starts on it and serves every one of them.
    const next = new PharosProcess(env);
    try {
      await next.ready(`http://127.0.0.1:${port}/healthz`, 30_000);
      const unresolved = (await (await fetch(`http://127.0.0.1:${port}/api/v2/incidents/unresolved.json`)).json()) as { incidents: { name: string }[] };
      const shown = new Set(unresolved.incidents.map((i) => i.name));
      for (const name of acknowledged) assert.ok(shown.has(name), `not on the page after the restart: ${name}`);
    } finally {
      await next.kill('SIGTERM');
    }
  });

  it('during a backup: no file appears under the backup name, the database is intact, the next backup works', { timeout: 120_000 }, async () => {
    const dataDir = join(dir, 'backup');
    const ctx = createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), { log: createLog('silent') });
    importCsv(ctx, system, ['email', ...Array.from({ length: 60_000 }, (_, i) => `reader${i}@example.com`)].join('\n'), true);
    await ctx.mail.stop();
    ctx.db.close();
    const out = join(dir, 'backups', 'copy.db');
    mkdirSync(join(dir, 'backups'), { recursive: true });
    const run = () =>
      spawn(process.execPath, ['--import', 'tsx', 'scripts/backup.ts', '--out', out], {
        cwd: projectRoot(),
        env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir },
        stdio: 'ignore',
      });
    // Killed once the copy has begun (its temporary file exists), before it is renamed.
    const child = run();
    const exited = new Promise((r) => child.once('exit', r));
    const until = Date.now() + 30_000;
    while (!existsSync(`${out}.partial`) && !existsSync(out) && Date.now() < until) await sleep(2);
    child.kill('SIGKILL');
    await exited;
    assert.ok(!existsSync(out), 'no backup under its name: a half-written copy never counts');
    readOnly(join(dataDir, 'pharos.db'), (db) => {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      assert.equal(db.prepare('SELECT COUNT(*) FROM subscribers').pluck().get(), 60_000);
    });
    rmSync(`${out}.partial`, { force: true });
    const again = run();
    assert.equal(await new Promise((r) => again.once('exit', r)), 0);
    readOnly(out, (db) => assert.equal(db.prepare('SELECT COUNT(*) FROM subscribers').pluck().get(), 60_000));
  });

  it('during a migration: the database is as before it, and the next start applies it once', { timeout: 120_000 }, async () => {
    const dataDir = join(dir, 'migration');
    const ctx = createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), { log: createLog('silent') });
    createComponent(ctx, system, { name: 'API' });
    await ctx.mail.stop();
    ctx.db.close();
    // Our migrations, then a slow one (a large table filled in its transaction), in a folder of their own.
    const migrations = join(dir, 'migrations');
    mkdirSync(migrations, { recursive: true });
    for (const f of readdirSync(join(projectRoot(), 'migrations'))) copyFileSync(join(projectRoot(), 'migrations', f), join(migrations, f));
    writeFileSync(
      join(migrations, '999_slow.sql'),
      `CREATE TABLE slow_fill (n INTEGER PRIMARY KEY, pad TEXT NOT NULL);
       WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3000000)
       INSERT INTO slow_fill SELECT n, printf('%0100d', n) FROM c;
       UPDATE components SET description = 'touched by 999' ;`,
    );
    const script = `import { openDatabase } from './server/db/open.ts'; import { migrate } from './server/db/migrate.ts';
      const db = openDatabase(process.argv[1]); process.stdout.write('start\\n'); migrate(db, process.argv[2]); db.close(); process.stdout.write('done\\n');`;
    const migrateOnce = () =>
      spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, join(dataDir, 'pharos.db'), migrations], {
        cwd: projectRoot(),
        env: { PATH: process.env.PATH ?? '' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
    const child = migrateOnce();
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    while (!out.includes('start')) await sleep(5);
    await sleep(400);
    assert.ok(!out.includes('done'), 'killed while the migration ran');
    child.kill('SIGKILL');
    await exited;

    readOnly(join(dataDir, 'pharos.db'), (db) => {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      assert.equal(db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'slow_fill'").pluck().get(), 0, 'no trace of the table');
      assert.equal(db.prepare("SELECT COUNT(*) FROM schema_migrations WHERE version = '999_slow.sql'").pluck().get(), 0);
      assert.notEqual(db.prepare('SELECT description FROM components').pluck().get(), 'touched by 999', 'no part of it applied');
    });

    const second = migrateOnce();
    assert.equal(await new Promise((r) => second.once('exit', r)), 0);
    readOnly(join(dataDir, 'pharos.db'), (db) => {
      assert.equal(db.prepare('SELECT COUNT(*) FROM slow_fill').pluck().get(), 3_000_000);
      assert.equal(db.prepare("SELECT COUNT(*) FROM schema_migrations WHERE version = '999_slow.sql'").pluck().get(), 1);
      assert.equal(db.prepare('SELECT description FROM components').pluck().get(), 'touched by 999');
    });
  });
});
