import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../server/config.js';
import { projectRoot } from '../../server/lib/paths.js';
import { runTs } from '../helpers/spawn.js';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.dataDir, './data');
    assert.equal(c.databaseFile, './data/pharos.db');
    assert.equal(c.publicUrl, 'http://localhost:3000');
    assert.equal(c.timeZone, 'Etc/UTC');
    assert.equal(c.logLevel, 'info');
    assert.equal(c.sessionSecret, undefined);
    assert.deepEqual(c.markdownImageHosts, []);
  });

  it('takes MARKDOWN_IMAGE_HOSTS as a list of origins', () => {
    assert.deepEqual(loadConfig({ MARKDOWN_IMAGE_HOSTS: 'https://grafana.example.com/, http://img.example.org:8080' }).markdownImageHosts, [
      'https://grafana.example.com',
      'http://img.example.org:8080',
    ]);
  });

  it('derives PUBLIC_URL from PORT and trims a trailing slash', () => {
    assert.equal(loadConfig({ PORT: '8080' }).publicUrl, 'http://localhost:8080');
    assert.equal(loadConfig({ PUBLIC_URL: 'https://status.example.com/' }).publicUrl, 'https://status.example.com');
  });

  const bad: [Record<string, string>, string, RegExp][] = [
    [{ PORT: 'abc' }, 'PORT', /whole number from 0 to 65535 \(got "abc"\)/],
    [{ PORT: '70000' }, 'PORT', /65535/],
    [{ PUBLIC_URL: 'status.example.com' }, 'PUBLIC_URL', /http:\/\/ or https:\/\//],
    [{ PUBLIC_URL: 'ftp://status.example.com' }, 'PUBLIC_URL', /http:\/\/ or https:\/\//],
    [{ TIME_ZONE: 'Mars/Olympus' }, 'TIME_ZONE', /IANA time zone/],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /one of fatal, error, warn, info, debug, trace, silent/],
    [{ SESSION_SECRET: 'short' }, 'SESSION_SECRET', /at least 32 characters/],
    [{ ADMIN_EMAIL: 'not-an-email', ADMIN_PASSWORD: 'a long enough password' }, 'ADMIN_EMAIL', /email address/],
    [{ ADMIN_EMAIL: 'ops@example.com' }, 'ADMIN_PASSWORD', /set together with ADMIN_EMAIL/],
    [{ ADMIN_EMAIL: 'ops@example.com', ADMIN_PASSWORD: 'short' }, 'ADMIN_PASSWORD', /at least 12 characters/],
    [{ MARKDOWN_IMAGE_HOSTS: 'grafana.example.com' }, 'MARKDOWN_IMAGE_HOSTS', /origins such as https:\/\/grafana\.example\.com/],
    [{ MARKDOWN_IMAGE_HOSTS: 'https://grafana.example.com/render/x.png' }, 'MARKDOWN_IMAGE_HOSTS', /origins such as/],
    [{ WEB_CONCURRENCY: 'many' }, 'WEB_CONCURRENCY', /auto/],
    [{ PHAROS_ROLE: 'replica' }, 'PHAROS_ROLE', /primary or edge/],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL', /redis:\/\//],
    [{ PHAROS_ROLE: 'edge', PRIMARY_URL: 'http://primary:3000' }, 'REDIS_URL', /must be set on an edge/],
    [{ PHAROS_ROLE: 'edge', REDIS_URL: 'redis://127.0.0.1:6379' }, 'PRIMARY_URL', /must be set on an edge/],
    [{ PHAROS_ROLE: 'edge', REDIS_URL: 'redis://127.0.0.1:6379', PRIMARY_URL: 'primary:3000' }, 'PRIMARY_URL', /http/],
    [{ REDIS_URL: 'redis://127.0.0.1:6379' }, 'REPLICATION_SECRET', /must be set with REDIS_URL/],
    [{ PHAROS_ROLE: 'edge', REDIS_URL: 'redis://127.0.0.1:6379', PRIMARY_URL: 'http://primary:3000' }, 'REPLICATION_SECRET', /must be set with REDIS_URL/],
    [{ REDIS_URL: 'redis://127.0.0.1:6379', REPLICATION_SECRET: 'too short' }, 'REPLICATION_SECRET', /at least 32 characters/],
  ];
  for (const [env, variable, message] of bad) {
    it(`refuses ${JSON.stringify(env)} naming ${variable}`, () => {
      assert.throws(
        () => loadConfig(env),
        (err: unknown) =>
          err instanceof ConfigError && err.variable === variable && message.test(err.message) && err.message.startsWith(`Invalid configuration: ${variable} `),
      );
    });
  }

  it('stops start-up with one line naming the variable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pharos-config-'));
    try {
      const ran = await runTs('server/main.ts', [], { DATA_DIR: dir, PORT: 'abc' });
      assert.equal(ran.code, 1);
      assert.equal(ran.stderr.trim(), 'Invalid configuration: PORT must be a whole number from 0 to 65535 (got "abc")');
      assert.equal(ran.stdout, '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts, says where it listens, prints a setup link, keeps a generated session secret, and stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pharos-start-'));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
        cwd: projectRoot(),
        env: { PATH: process.env.PATH ?? '', DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', PUBLIC_URL: 'http://localhost:3999' },
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no setup link in: ${out}`)), 20_000);
        child.stdout.on('data', () => {
          if (out.includes('/setup?token=')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      assert.match(out, /Pharos listening on http:\/\/localhost:3999/);
      assert.match(out, /http:\/\/localhost:3999\/setup\?token=[\w-]{20,}/);
      assert.ok(readFileSync(join(dir, 'session-secret'), 'utf8').trim().length >= 32);
      const code = await new Promise<number | null>((resolve) => {
        child.on('exit', (c) => resolve(c));
        child.kill('SIGTERM');
      });
      assert.equal(code, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
