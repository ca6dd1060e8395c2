import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDatabase, type Db } from '../../../server/db/open.js';

describe('prepared statements kept per SQL text', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pharos-statements-'));
  let db: Db;
  before(() => {
    db = openDatabase(join(dir, 'pharos.db'));
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
    const insert = db.prepare('INSERT INTO t (name) VALUES (?)');
    for (const name of ['a', 'b', 'c']) insert.run(name);
  });
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands back the statement prepared for the same text', () => {
    assert.equal(db.prepare('SELECT name FROM t WHERE id = ?'), db.prepare('SELECT name FROM t WHERE id = ?'));
  });

  it('hands it back as freshly prepared, whatever its last caller toggled', () => {
    const sql = 'SELECT name FROM t ORDER BY id';
    assert.deepEqual(db.prepare(sql).pluck().all(), ['a', 'b', 'c']);
    assert.deepEqual(db.prepare(sql).all(), [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    assert.deepEqual(db.prepare(sql).raw().all(), [['a'], ['b'], ['c']]);
    assert.deepEqual(db.prepare(sql).get(), { name: 'a' });
  });

  it('gives a caller its own statement while the cached one is being iterated', () => {
    const sql = 'SELECT id FROM t ORDER BY id';
    const pairs: number[][] = [];
    for (const outer of db.prepare(sql).pluck().iterate() as Iterable<number>) {
      for (const inner of db.prepare(sql).pluck().iterate() as Iterable<number>) pairs.push([outer, inner]);
    }
    assert.equal(pairs.length, 9);
  });

  it('keeps a bounded number of texts, dropping the least recently used', () => {
    const first = db.prepare('SELECT 0 AS n');
    const kept = db.prepare('SELECT 1 AS n');
    for (let i = 2; i < 600; i++) {
      db.prepare(`SELECT ${i} AS n`);
      db.prepare('SELECT 1 AS n');
    }
    assert.notEqual(db.prepare('SELECT 0 AS n'), first);
    assert.equal(db.prepare('SELECT 1 AS n'), kept);
  });
});
