import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RefusalTally } from '../../server/domain/access/refusal-tally.js';
import { addUser, signIn, startPharos, type Agent, type TestPharos } from '../helpers/pharos.js';

/** Refusals in the audit log: anonymous ones tallied per network and minute, a signed-in user's one row each. */

describe('anonymous refusals in the audit log', () => {
  let p: TestPharos;
  let admin: Agent;
  const rows = () => p.ctx.db.prepare('SELECT COUNT(*) FROM audit_log').pluck().get() as number;
  before(async () => {
    p = await startPharos({ listen: true });
    await addUser(p, 'admin@example.com', 'admin');
    await addUser(p, 'op@example.com', 'operator');
    admin = await signIn(p, 'admin@example.com');
  });
  after(() => p.close());

  it('counts 1,000 requests with a wrong key as one row per network and minute, with the count', async () => {
    const before = rows();
    const url = `${p.url}/api/v1/pages/${p.ctx.pageId}/incidents`;
    for (let batch = 0; batch < 20; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          fetch(url, {
            method: 'POST',
            headers: { Authorization: `OAuth pharos_wrong-${batch}-${i}`, 'Content-Type': 'application/json' },
            body: '{"incident":{"name":"x"}}',
          }),
        ),
      );
      assert.ok(answers.every((a) => a.status === 401));
      await Promise.all(answers.map((a) => a.arrayBuffer()));
    }
    assert.ok(rows() - before <= 3, `${rows() - before} rows while the minute lasts`);
    // The admin's viewer writes what is tallied before reading, and shows the count.
    const page = await admin.get('/admin/audit').query({ action: 'auth.refused' }).expect(200);
    assert.match(page.text, /&quot;count&quot;:1000/);
    const added = p.ctx.db.prepare('SELECT actor, subject, detail, ip FROM audit_log WHERE id > ? ORDER BY id').all(0) as {
      actor: string;
      subject: string;
      detail: string;
      ip: string;
    }[];
    const tallied = added.filter((r) => r.actor === 'anonymous');
    assert.equal(tallied.length, 1, JSON.stringify(tallied));
    assert.equal(tallied[0]?.subject, '127.0.0.1');
    const detail = JSON.parse(tallied[0]?.detail ?? '{}') as { count: number; statuses: Record<string, number>; paths: Record<string, number> };
    assert.equal(detail.count, 1000);
    assert.deepEqual(detail.statuses, { 401: 1000 });
    assert.deepEqual(Object.values(detail.paths), [1000]);
    assert.ok(rows() - before <= 5, `${rows() - before} rows in all`);
  });

  it('writes a minute once it is over, without anyone reading the log', async () => {
    const before = rows();
    for (let i = 0; i < 5; i++) await fetch(`${p.url}/admin/users`, { method: 'POST' });
    assert.equal(rows(), before, 'held while the minute lasts');
    p.clock.advance(60_000);
    await fetch(`${p.url}/admin/users`, { method: 'POST' });
    assert.equal(rows(), before + 1, 'the finished minute is written by the next refusal');
    const last = p.ctx.db.prepare('SELECT detail FROM audit_log ORDER BY id DESC LIMIT 1').pluck().get() as string;
    assert.equal((JSON.parse(last) as { count: number }).count, 5);
  });

  it('still writes one row for each refusal of a signed-in operator', async () => {
    const operator = await signIn(p, 'op@example.com');
    const before = p.ctx.db.prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.refused' AND actor = 'user:op@example.com'").pluck().get() as number;
    for (let i = 0; i < 3; i++) await operator.get('/admin/users').expect(403);
    const after = p.ctx.db.prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.refused' AND actor = 'user:op@example.com'").pluck().get() as number;
    assert.equal(after - before, 3);
  });
});

describe('the refusal tally', () => {
  let p: TestPharos;
  before(async () => {
    p = await startPharos();
  });
  after(() => p.close());

  it('folds a spray from more than 200 networks in a minute into one more row, and keeps counts a failed write could not store', () => {
    const tally = new RefusalTally(p.ctx.db, p.clock);
    const before = p.ctx.db.prepare('SELECT COUNT(*) FROM audit_log').pluck().get() as number;
    for (let i = 0; i < 5000; i++) tally.count('auth.refused', `2001:db8:${i.toString(16)}::/64`, { statuses: 401 });
    tally.flush();
    const rows = p.ctx.db.prepare('SELECT subject, detail FROM audit_log WHERE id > ?').all(before) as { subject: string; detail: string }[];
    assert.equal(rows.length, 201);
    const other = rows.find((r) => r.subject === 'other networks');
    assert.equal((JSON.parse(other?.detail ?? '{}') as { count: number }).count, 4800);

    // The database refuses the write (read-only for a moment): nothing is lost, it is written later.
    const errors: unknown[] = [];
    const failing = new RefusalTally(p.ctx.db, p.clock, (err) => errors.push(err));
    failing.count('auth.refused', '198.51.100.1');
    p.ctx.db.pragma('query_only = ON');
    failing.flush();
    p.ctx.db.pragma('query_only = OFF');
    assert.equal(errors.length, 1);
    failing.flush();
    assert.equal(p.ctx.db.prepare("SELECT COUNT(*) FROM audit_log WHERE subject = '198.51.100.1'").pluck().get(), 1);
  });
});
