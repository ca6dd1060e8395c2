import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../helpers/process.js';
import { runTs } from '../helpers/spawn.js';

/** A careless start: the port is taken. One line naming PORT, and the data folder is not touched. */
describe('start-up on a port in use', () => {
  let taken: Server;
  let port = 0;
  let root = '';
  before(async () => {
    port = await freePort();
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', () => resolve()));
    root = mkdtempSync(join(tmpdir(), 'pharos-port-'));
  });
  after(() => {
    taken.close();
    rmSync(root, { recursive: true, force: true });
  });

  for (const [name, env] of [
    ['a primary', {}],
    ['a primary with WEB_CONCURRENCY=2', { WEB_CONCURRENCY: '2' }],
    [
      'an edge',
      {
        PHAROS_ROLE: 'edge',
        REDIS_URL: 'redis://127.0.0.1:1',
        REPLICATION_SECRET: 'a replication secret, long enough for it',
        PRIMARY_URL: 'http://127.0.0.1:1',
      },
    ],
  ] as const) {
    it(`${name}: exits 1 with one line naming PORT, before the data folder is made or migrated`, async () => {
      const dataDir = join(root, name.replace(/\W+/g, '-'));
      const ran = await runTs('server/main.ts', [], { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env });
      assert.equal(ran.code, 1, ran.stderr);
      assert.equal(
        ran.stderr.trim(),
        `Port ${port} on 127.0.0.1 is in use (PORT): another program, or another Pharos, listens there. Stop it or choose another PORT.`,
      );
      assert.doesNotMatch(ran.stdout, /migration/);
      assert.ok(!existsSync(dataDir) || readdirSync(dataDir).length === 0, 'nothing written to the data folder');
    });
  }
});
