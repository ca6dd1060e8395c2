import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { migrate } from '../../../server/db/migrate.js';
import { openDatabase } from '../../../server/db/open.js';
import { projectRoot } from '../../../server/lib/paths.js';

const RLO = '\u202e';
const PDF = '\u202c';
const LRI = '\u2066';
const PDI = '\u2069';
const RLM = '\u200f';
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;

/** Names stored before bidirectional controls were taken out at input lose them in 015; the marks stay. */
describe('migration 015: names without bidirectional controls', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pharos-bidi-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('cleans incident, component, group, notice, template and page names, and the descriptions beside them, stored before, and nothing else', () => {
    const all = join(projectRoot(), 'migrations');
    const early = join(dir, 'migrations');
    mkdirSync(early);
    const before = readdirSync(all).filter((f) => /^0(0\d|1[0-4])_.*\.sql$/.test(f));
    assert.equal(before.length, 14);
    for (const f of before) copyFileSync(join(all, f), join(early, f));
    const db = openDatabase(join(dir, 'data', 'pharos.db'));
    migrate(db, early);
    const T = '2026-10-01T08:00:00.000Z';
    db.prepare(`INSERT INTO incidents (id, name, status, impact, started_at, created_at, updated_at) VALUES ('i1', ?, 'investigating', 'minor', ?, ?, ?)`).run(
      `${RLO}srorre IPA${PDF}`,
      T,
      T,
      T,
    );
    db.prepare(`INSERT INTO incidents (id, name, status, impact, started_at, created_at, updated_at) VALUES ('i2', ?, 'resolved', 'none', ?, ?, ?)`).run(
      RLO,
      T,
      T,
      T,
    );
    db.prepare(`INSERT INTO incidents (id, name, status, impact, started_at, created_at, updated_at) VALUES ('i3', ?, 'resolved', 'none', ?, ?, ?)`).run(
      `שירות${RLM} (ראשי)`,
      T,
      T,
      T,
    );
    db.prepare(
      `INSERT INTO alert_groups (source, group_key, incident_id, signature, statuses, set_name, created_at, updated_at)
       VALUES ('alertmanager', 'g', 'i1', 's', '{}', ?, ?, ?)`,
    ).run(`${RLO}srorre IPA${PDF}`, T, T);
    db.prepare(
      `INSERT INTO components (id, name, description, status, position, showcase, only_show_if_degraded, start_date, created_at, updated_at)
       VALUES ('c1', ?, ?, 'operational', 1, 1, 0, '2026-09-01', ?, ?)`,
    ).run(`${LRI}API${PDI}`, `${RLO}detavitca`, T, T);
    db.prepare(`INSERT INTO component_groups (id, name, description, position, created_at, updated_at) VALUES ('g1', ?, ?, 1, ?, ?)`).run(
      `Core${RLO}`,
      `Our ${LRI}core${PDI}`,
      T,
      T,
    );
    db.prepare(`INSERT INTO communications (id, series_id, version, category, title, author, published_at) VALUES ('n1', 'n1', 1, 'general', ?, 'a', ?)`).run(
      `${RLO}Notice`,
      T,
    );
    db.prepare(`INSERT INTO incident_templates (id, name, title, created_at, updated_at) VALUES ('t1', ?, ?, ?, ?)`).run(`Tpl${RLO}`, `${RLO}Title`, T, T);
    db.prepare("INSERT INTO settings (key, value) VALUES ('brand.page_name', ?)").run(`${RLO}Acme`);

    const done = migrate(db, all);
    assert.ok(
      done.some((f) => f.startsWith('015_')),
      done.join(', '),
    );
    const names = db.prepare('SELECT id, name FROM incidents ORDER BY id').all() as { id: string; name: string }[];
    assert.deepEqual(names, [
      { id: 'i1', name: 'srorre IPA' },
      { id: 'i2', name: 'Untitled' },
      { id: 'i3', name: `שירות${RLM} (ראשי)` },
    ]);
    assert.equal(db.prepare('SELECT set_name FROM alert_groups').pluck().get(), 'srorre IPA', 'the group still knows the name as its own');
    for (const value of [
      db.prepare('SELECT name FROM components').pluck().get(),
      db.prepare('SELECT description FROM components').pluck().get(),
      db.prepare('SELECT name FROM component_groups').pluck().get(),
      db.prepare('SELECT description FROM component_groups').pluck().get(),
      db.prepare('SELECT title FROM communications').pluck().get(),
      db.prepare('SELECT name FROM incident_templates').pluck().get(),
      db.prepare('SELECT title FROM incident_templates').pluck().get(),
      db.prepare("SELECT value FROM settings WHERE key = 'brand.page_name'").pluck().get(),
    ]) {
      assert.equal(typeof value, 'string');
      assert.doesNotMatch(String(value), BIDI_CONTROL);
    }
    assert.equal(db.prepare("SELECT value FROM settings WHERE key = 'brand.page_name'").pluck().get(), 'Acme');
    db.close();
  });
});
