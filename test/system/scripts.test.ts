import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../server/config.js';
import { openDatabase } from '../../server/db/open.js';
import { findApiKey } from '../../server/domain/access/api-keys.js';
import { PasswordHasher } from '../../server/domain/access/passwords.js';
import { authenticate } from '../../server/domain/access/users.js';
import { runTs } from '../helpers/spawn.js';

describe('command-line scripts', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pharos-scripts-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const db = () => openDatabase(loadConfig({ DATA_DIR: dir }).databaseFile);

  it('refuses to start a new database where there is none, naming the folder, unless --create is given', async () => {
    for (const script of ['scripts/apikey-create.ts', 'scripts/admin-create.ts']) {
      const ran = await runTs(script, ['--name', 'x', '--email', 'x@example.com'], { DATA_DIR: dir }, 'a long enough password\n');
      assert.equal(ran.code, 1, script);
      assert.match(ran.stderr, new RegExp(`No Pharos database at ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/pharos\\.db \\(DATA_DIR=`), ran.stderr);
      assert.match(ran.stderr, /add --create/);
      assert.ok(!existsSync(join(dir, 'pharos.db')), 'no database was made');
    }
  });

  it('admin:create takes the password from stdin, never from the command line', async () => {
    const ran = await runTs('scripts/admin-create.ts', ['--email', 'Boss@Example.com', '--create'], { DATA_DIR: dir }, 'a long enough password\n');
    assert.equal(ran.code, 0, ran.stderr);
    const conn = db();
    const pageId = conn.prepare("SELECT value FROM settings WHERE key = 'page_id'").pluck().get();
    conn.close();
    assert.match(
      ran.stderr,
      new RegExp(`Pharos database .*pharos\\.db · page ${String(pageId)} · http://localhost:3000`),
      'it says which database and page it acted on',
    );
    assert.match(ran.stdout, /Created admin boss@example.com/);
    const d = db();
    try {
      const user = await authenticate(d, new PasswordHasher(), 'boss@example.com', 'a long enough password');
      assert.equal(user?.role, 'admin');
    } finally {
      d.close();
    }
  });

  it('admin:create refuses a short password or a taken address with a clear message and creates nothing', async () => {
    const short = await runTs('scripts/admin-create.ts', ['--email', 'x@example.com'], { DATA_DIR: dir }, 'short\n');
    assert.equal(short.code, 1);
    assert.match(short.stderr, /password: Use at least 12 characters/);
    const taken = await runTs('scripts/admin-create.ts', ['--email', 'boss@example.com'], { DATA_DIR: dir }, 'another long password\n');
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /email: An account with this email already exists/);
    const noEmail = await runTs('scripts/admin-create.ts', [], { DATA_DIR: dir }, '');
    assert.equal(noEmail.code, 1);
    assert.match(noEmail.stderr, /Usage: npm run admin:create -- --email EMAIL/);
    const d = db();
    try {
      assert.equal(d.prepare('SELECT COUNT(*) FROM users').pluck().get(), 1);
    } finally {
      d.close();
    }
  });

  it('apikey:create prints a working key alone on its last line and stores only its hash', async () => {
    const ran = await runTs('scripts/apikey-create.ts', ['--name', 'alertmanager'], { DATA_DIR: dir });
    assert.equal(ran.code, 0, ran.stderr);
    const key = ran.stdout.trim().split('\n').at(-1) ?? '';
    assert.match(key, /^pharos_[\w-]{40,}$/);
    const d = db();
    try {
      assert.equal(findApiKey(d, key, new Date())?.name, 'alertmanager');
      const stored = d.prepare('SELECT key_hash FROM api_keys').pluck().all() as string[];
      assert.ok(!stored.includes(key), 'the key itself is not stored');
    } finally {
      d.close();
    }
  });
});
