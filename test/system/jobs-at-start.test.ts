import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../server/config.js';
import { createContext } from '../../server/compose.js';
import { createComponent } from '../../server/domain/page/components.js';
import { scheduleMaintenance } from '../../server/domain/incidents/maintenance.js';
import { createLog } from '../../server/log.js';
import { projectRoot } from '../../server/lib/paths.js';
import { freePort } from '../helpers/process.js';

const system = { type: 'system' } as const;

/** A window whose start passed while Pharos was down starts at the next start of the real server. */
describe('catching up at start', () => {
  it('npm start runs the due transitions at once and records them for the System page', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pharos-catchup-'));
    const now = Date.now();
    // Scheduled 20 minutes ago, before its start; then Pharos was down while the start passed.
    const seed = createContext(loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent' }), {
      log: createLog('silent'),
      clock: { now: () => new Date(now - 20 * 60_000) },
    });
    const api = createComponent(seed, system, { name: 'API' });
    const m = scheduleMaintenance(seed, system, {
      name: 'Missed start',
      component_ids: [api.id],
      scheduled_for: new Date(now - 10 * 60_000).toISOString(),
      scheduled_until: new Date(now + 60 * 60_000).toISOString(),
      scheduled_remind_prior: 0,
    });
    seed.db.close();

    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: projectRoot(),
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    try {
      let active: { scheduled_maintenances: { id: string; status: string }[] } = { scheduled_maintenances: [] };
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        try {
          active = (await (await fetch(`http://127.0.0.1:${port}/api/v2/scheduled-maintenances/active.json`)).json()) as typeof active;
          if (active.scheduled_maintenances.length) break;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.deepEqual(
        active.scheduled_maintenances.map((w) => [w.id, w.status]),
        [[m.id, 'in_progress']],
      );
      const summary = (await (await fetch(`http://127.0.0.1:${port}/api/v2/components.json`)).json()) as { components: { status: string }[] };
      assert.equal(summary.components[0]?.status, 'under_maintenance');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    const after = createContext(loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent' }), { log: createLog('silent') });
    try {
      const run = after.db.prepare("SELECT result, detail FROM job_runs WHERE job_id = 'maintenance'").get() as { result: string; detail: string };
      assert.equal(run.result, 'ok');
      assert.match(run.detail, /1 started/);
    } finally {
      after.db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
