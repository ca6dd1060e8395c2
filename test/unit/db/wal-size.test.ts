import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openDatabase } from '../../../server/db/open.js';

describe('the write-ahead log after a burst', () => {
  it('is cut back after a checkpoint: a burst once does not hold its room, nor make /readyz think the disk full', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pharos-wal-'));
    try {
      const db = openDatabase(join(dir, 'pharos.db'));
      db.pragma('wal_autocheckpoint = 0');
      db.exec('CREATE TABLE burst (b BLOB)');
      const insert = db.prepare('INSERT INTO burst VALUES (randomblob(65536))');
      db.transaction(() => {
        for (let i = 0; i < 600; i++) insert.run();
      })();
      const wal = () => statSync(join(dir, 'pharos.db-wal')).size;
      assert.ok(wal() > 30 * 2 ** 20, `the burst grew the log (${wal()} bytes)`);
      db.pragma('wal_checkpoint(PASSIVE)');
      db.exec('DELETE FROM burst');
      db.pragma('wal_checkpoint(PASSIVE)');
      insert.run();
      assert.ok(wal() <= 16 * 2 ** 20, `${wal()} bytes after a checkpoint and one write`);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
