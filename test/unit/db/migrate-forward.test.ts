import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { migrate } from '../../../server/db/migrate.js';
import { openDatabase, type Db } from '../../../server/db/open.js';
import { projectRoot } from '../../../server/lib/paths.js';

/**
 * A database that lived on migrations 001 and 002 (an incident with its updates, components,
 * subscribers, deliveries and a notice linked to the incident) is carried forward by the rest:
 * the table rebuilds of 003 must neither cascade deletes nor leave references dangling.
 */
describe('migrating a populated database forward from 002', () => {
  let dir: string;
  let db: Db;
  const all = join(projectRoot(), 'migrations');
  const T = '2026-10-01T08:00:00.000Z';
  const counts: Record<string, number> = {};
  const TABLES = [
    'components',
    'incidents',
    'incident_components',
    'incident_updates',
    'incident_update_components',
    'subscribers',
    'subscriber_components',
    'deliveries',
    'communications',
    'audit_log',
    'events',
  ];
  const count = (table: string) => db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pharos-forward-'));
    const early = join(dir, 'migrations');
    mkdirSync(early);
    const files = readdirSync(all).filter((f) => /^00[12]_.*\.sql$/.test(f));
    assert.equal(files.length, 2);
    for (const f of files) copyFileSync(join(all, f), join(early, f));
    db = openDatabase(join(dir, 'data', 'pharos.db'));
    assert.deepEqual(migrate(db, early), files.sort());

    const component = db.prepare(
      `INSERT INTO components (id, name, status, position, showcase, only_show_if_degraded, start_date, created_at, updated_at)
       VALUES (?, ?, ?, ?, 1, 0, '2026-09-01', ?, ?)`,
    );
    component.run('api', 'API', 'operational', 1, '2026-09-01T00:00:00.000Z', T);
    component.run('web', 'Web app', 'degraded_performance', 2, '2026-09-02T00:00:00.000Z', T);
    component.run('db', 'Database', 'major_outage', 3, '2026-09-03T00:00:00.000Z', T);

    db.prepare(
      `INSERT INTO incidents (id, name, status, impact, impact_override, started_at, monitoring_at, resolved_at, created_at, updated_at)
       VALUES ('inc1', 'Database failover', 'resolved', 'major', NULL, ?, NULL, '2026-10-01T09:00:00.000Z', ?, ?)`,
    ).run(T, T, '2026-10-01T09:00:00.000Z');
    db.prepare(
      `INSERT INTO incidents (id, name, status, impact, impact_override, started_at, monitoring_at, resolved_at, created_at, updated_at)
       VALUES ('inc2', 'Slow pages', 'investigating', 'minor', 'minor', ?, NULL, NULL, ?, ?)`,
    ).run('2026-10-02T08:00:00.000Z', '2026-10-02T08:00:00.000Z', '2026-10-02T08:00:00.000Z');
    db.prepare("INSERT INTO incident_components (incident_id, component_id) VALUES ('inc1', 'db'), ('inc1', 'api'), ('inc2', 'web')").run();
    const update = db.prepare(
      `INSERT INTO incident_updates (id, incident_id, status, body, deliver_notifications, author, display_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, 1, 'Ops', ?, ?, ?)`,
    );
    update.run('u1', 'inc1', 'investigating', 'The database is failing over.', T, T, T);
    update.run('u2', 'inc1', 'resolved', 'Back to normal.', '2026-10-01T09:00:00.000Z', '2026-10-01T09:00:00.000Z', '2026-10-01T09:00:00.000Z');
    update.run('u3', 'inc2', 'investigating', 'Pages are slow.', '2026-10-02T08:00:00.000Z', '2026-10-02T08:00:00.000Z', '2026-10-02T08:00:00.000Z');
    db.prepare(
      `INSERT INTO incident_update_components (update_id, component_id, name, old_status, new_status, position) VALUES
       ('u1', 'db', 'Database', 'operational', 'major_outage', 0),
       ('u2', 'api', 'API', 'degraded_performance', 'operational', 0),
       ('u3', 'web', 'Web app', 'operational', 'degraded_performance', 0)`,
    ).run();
    db.prepare(
      `INSERT INTO subscribers (id, email, state, all_components, created_at, confirmed_at, updated_at) VALUES
       ('s1', 'alice@example.com', 'confirmed', 0, ?, ?, ?),
       ('s2', 'bob@example.com', 'pending', 1, ?, NULL, ?)`,
    ).run(T, T, T, T, T);
    db.prepare("INSERT INTO subscriber_components (subscriber_id, component_id) VALUES ('s1', 'db')").run();
    const delivery = db.prepare(
      `INSERT INTO deliveries (source, recipient, subscriber_id, kind, subject_id, thread_id, message_id, state, attempts, next_attempt_at,
         created_at, sent_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    delivery.run('update:u1', 'alice@example.com', 's1', 'incident_update', 'u1', 'inc1', '<u1.s1@x>', 'sent', 1, 0, T, T, T);
    delivery.run('update:u2', 'alice@example.com', 's1', 'incident_update', 'u2', 'inc1', '<u2.s1@x>', 'queued', 0, 1, T, null, T);
    delivery.run('confirm:s2', 'bob@example.com', 's2', 'confirmation', 'nonce', null, '<c.s2@x>', 'dead', 5, 2, T, null, T);
    db.prepare(
      `INSERT INTO communications (id, series_id, version, replaces_id, category, title, body, incident_id, author, published_at)
       VALUES ('n1', 'n1', 1, NULL, 'data_protection', 'About the failover', 'Details.', 'inc1', 'Ops', ?)`,
    ).run('2026-10-01T10:00:00.000Z');
    db.prepare("INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, 'system', 'test', 'inc1', '')").run(T);
    db.prepare("INSERT INTO events (cause, subject, actor, created_at) VALUES ('incident.created', 'inc1', 'system', ?)").run(T);

    for (const t of TABLES) counts[t] = count(t);
    assert.deepEqual(db.pragma('foreign_key_check'), [], 'consistent before');
  });
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies the remaining migrations', () => {
    const rest = readdirSync(all)
      .filter((f) => /^\d{3}_.*\.sql$/.test(f) && !/^00[12]_/.test(f))
      .sort();
    assert.ok(rest.length >= 1, 'there is something to apply');
    assert.deepEqual(migrate(db, all), rest);
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1, 'foreign keys are back on');
  });

  it('keeps every row (incident_updates are not cascade-deleted by the rebuild)', () => {
    for (const t of TABLES) assert.equal(count(t), counts[t], t);
    assert.deepEqual(db.prepare('SELECT id FROM incident_updates ORDER BY id').pluck().all(), ['u1', 'u2', 'u3']);
    assert.deepEqual(db.prepare("SELECT id, body FROM incident_updates WHERE incident_id = 'inc1' ORDER BY created_at").all(), [
      { id: 'u1', body: 'The database is failing over.' },
      { id: 'u2', body: 'Back to normal.' },
    ]);
    assert.equal(db.prepare("SELECT incident_id FROM communications WHERE id = 'n1'").pluck().get(), 'inc1', 'the notice still names its incident');
    assert.deepEqual(db.prepare('SELECT source, kind, state, attempts FROM deliveries ORDER BY id').all(), [
      { source: 'update:u1', kind: 'incident_update', state: 'sent', attempts: 1 },
      { source: 'update:u2', kind: 'incident_update', state: 'queued', attempts: 0 },
      { source: 'confirm:s2', kind: 'confirmation', state: 'dead', attempts: 5 },
    ]);
    const inc2 = db.prepare("SELECT name, status, impact, impact_override, started_at, resolved_at FROM incidents WHERE id = 'inc2'").get();
    assert.deepEqual(inc2, {
      name: 'Slow pages',
      status: 'investigating',
      impact: 'minor',
      impact_override: 'minor',
      started_at: '2026-10-02T08:00:00.000Z',
      resolved_at: null,
    });
  });

  it('leaves the database consistent: foreign_key_check empty, integrity_check ok, no leftover tables', () => {
    assert.deepEqual(db.pragma('foreign_key_check'), []);
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    assert.deepEqual(db.prepare("SELECT name FROM sqlite_master WHERE name LIKE '%\\_new' ESCAPE '\\' OR sql LIKE '%\\_new\"%' ESCAPE '\\'").pluck().all(), []);
    for (const table of ['incident_updates', 'incident_components', 'communications']) {
      const targets = (db.pragma(`foreign_key_list(${table})`) as { table: string }[]).map((f) => f.table);
      assert.ok(targets.includes('incidents'), `${table} still references incidents (${targets.join(', ')})`);
    }
  });

  it('makes the old incidents of kind "incident", with the new columns at their defaults', () => {
    assert.deepEqual(db.prepare('SELECT id, kind, personal_data_at_risk, scheduled_for, cancelled_at, dp_reminders_sent FROM incidents ORDER BY id').all(), [
      { id: 'inc1', kind: 'incident', personal_data_at_risk: 0, scheduled_for: null, cancelled_at: null, dp_reminders_sent: '' },
      { id: 'inc2', kind: 'incident', personal_data_at_risk: 0, scheduled_for: null, cancelled_at: null, dp_reminders_sent: '' },
    ]);
  });

  it('opens one status interval per component at its current status, an outage starting when the component last changed', () => {
    assert.deepEqual(db.prepare('SELECT component_id, status, ended_at FROM component_status_log WHERE ended_at IS NULL ORDER BY component_id').all(), [
      { component_id: 'api', status: 'operational', ended_at: null },
      { component_id: 'db', status: 'major_outage', ended_at: null },
      { component_id: 'web', status: 'degraded_performance', ended_at: null },
    ]);
    // Not stretched back to the component's creation: operational until its last change, then the outage.
    const db1 = db.prepare("SELECT status, started_at, ended_at FROM component_status_log WHERE component_id = 'db' ORDER BY started_at").all() as {
      status: string;
      started_at: string;
      ended_at: string | null;
    }[];
    assert.equal(db1[0]?.status, 'operational');
    assert.equal(db1[0]?.ended_at, db1[1]?.started_at);
    const starts = db.prepare('SELECT started_at FROM component_status_log').pluck().all() as string[];
    assert.ok(
      starts.every((s) => !Number.isNaN(Date.parse(s))),
      'each interval has a start',
    );
  });

  it('still cascades and nulls as declared after the rebuild', () => {
    db.prepare("DELETE FROM incidents WHERE id = 'inc1'").run();
    assert.equal(db.prepare("SELECT COUNT(*) FROM incident_updates WHERE incident_id = 'inc1'").pluck().get(), 0);
    assert.equal(db.prepare("SELECT COUNT(*) FROM incident_update_components WHERE update_id IN ('u1', 'u2')").pluck().get(), 0);
    assert.equal(db.prepare("SELECT COUNT(*) FROM incident_components WHERE incident_id = 'inc1'").pluck().get(), 0);
    assert.equal(db.prepare("SELECT incident_id FROM communications WHERE id = 'n1'").pluck().get(), null);
    assert.deepEqual(db.pragma('foreign_key_check'), []);
  });
});
