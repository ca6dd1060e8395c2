import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../server/config.js';
import { createContext } from '../../server/compose.js';
import { createApiKey } from '../../server/domain/access/api-keys.js';
import { setGate } from '../../server/domain/subscribers/gate.js';
import { importCsv } from '../../server/domain/subscribers/import-export.js';
import { manageToken } from '../../server/domain/subscribers/tokens.js';
import { createLog } from '../../server/log.js';
import { burst, statuses } from '../helpers/burst.js';
import { freePort, PharosProcess, sleep } from '../helpers/process.js';

const system = { type: 'system' } as const;
const SLOWED = /Many people are signing up right now/;

/**
 * WEB_CONCURRENCY=2 on real processes: every limit is taken or refused by the primary process in one
 * round trip, so a burst spread over both workers gets exactly the limit through, as in one process.
 * Each burst comes from a loopback address of its own (127.0.0.x: a client of its own), so that the
 * windows of one test do not carry into the next.
 */
describe('limits under a burst of parallel requests (WEB_CONCURRENCY=2)', () => {
  let dataDir: string;
  let pharos: PharosProcess;
  let base = '';
  let pageId = '';
  let apiKey = '';
  let alertKey = '';

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pharos-limits-'));
    const seed = createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), { log: createLog('silent') });
    pageId = seed.pageId;
    apiKey = createApiKey(seed, system, { name: 'api burst' }).key;
    alertKey = createApiKey(seed, system, { name: 'alert burst' }).key;
    // Sign-up mail past 5 a minute is paced (12 s apart): the bursts below queue less than 10 minutes of it.
    setGate(seed, system, { mode: 'open', domains: '', threshold: 5, auto_mode: 'paused' });
    seed.db.close();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    pharos = new PharosProcess({
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: base,
      WEB_CONCURRENCY: '2',
      LOG_LEVEL: 'info',
      API_RATE_LIMIT: '60',
      ALERT_RATE_LIMIT: '50',
      MAX_CONNECTIONS_PER_ADDRESS: '1000000',
    });
    await pharos.ready(`${base}/healthz`, 30_000);
    for (let i = 0; i < 100 && !/with 2 HTTP workers/.test(pharos.log); i++) await sleep(50);
    assert.match(pharos.log, /with 2 HTTP workers/);
  });
  after(async () => {
    if (pharos?.alive) await pharos.kill('SIGKILL');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  for (const [n, from] of [
    [300, '127.0.0.1'],
    [1000, '127.0.0.2'],
  ] as const) {
    it(`lets exactly 30 of ${n} parallel wrong links from one address reach the token check, 429 for the rest`, { timeout: 120_000 }, async () => {
      const answers = await burst(base, n, (i) => ({ method: 'POST', path: `/unsubscribe/guess-${n}-${i}`, localAddress: from }));
      assert.deepEqual(statuses(answers), { 404: 30, 429: n - 30 });
    });
  }

  it('lets 200 valid one-click unsubscribes sent at once from one address all through', { timeout: 120_000 }, async () => {
    const seed = createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), { log: createLog('silent') });
    importCsv(seed, system, Array.from({ length: 200 }, (_, i) => `provider${i}@example.com`).join('\n'), true);
    const subs = seed.db.prepare("SELECT id, token_version FROM subscribers WHERE email LIKE 'provider%'").all() as { id: string; token_version: number }[];
    const valid = subs.map((sub) => `/unsubscribe/${manageToken(seed.secret, sub)}`);
    seed.db.close();
    const answers = await burst(base, valid.length, (i) => ({ method: 'POST', path: valid[i] ?? '', localAddress: '127.0.0.8' }));
    assert.deepEqual(statuses(answers), { 200: 200 });
  });

  it('lets exactly 60 of 1,000 parallel API requests with one key through (API_RATE_LIMIT=60), 429 for the rest', { timeout: 120_000 }, async () => {
    const answers = await burst(base, 1000, () => ({
      path: `/api/v1/pages/${pageId}/components`,
      headers: { Authorization: `OAuth ${apiKey}` },
      localAddress: '127.0.0.3',
    }));
    assert.deepEqual(statuses(answers), { 200: 60, 429: 940 });
  });

  it('lets exactly 50 of 500 parallel alert notifications with one key through (ALERT_RATE_LIMIT=50), 503 for the rest', { timeout: 120_000 }, async () => {
    const alert = JSON.stringify({ version: '4', groupKey: 'g', status: 'resolved', alerts: [{ status: 'resolved', labels: { alertname: 'A' } }] });
    const answers = await burst(base, 500, () => ({
      method: 'POST',
      path: '/api/integrations/alertmanager',
      headers: { Authorization: `Bearer ${alertKey}`, 'Content-Type': 'application/json' },
      body: alert,
      localAddress: '127.0.0.4',
    }));
    assert.deepEqual(statuses(answers), { 200: 50, 503: 450 });
  });

  it("paces the mail of all but the gate's threshold (5) of 30 parallel sign-ups from three addresses", { timeout: 120_000 }, async () => {
    const answers = await burst(base, 30, (i) => ({
      method: 'POST',
      path: '/subscribe',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `email=paced${i}%40example.com&scope=all`,
      localAddress: `127.0.0.${5 + (i % 3)}`,
    }));
    assert.deepEqual(statuses(answers), { 200: 30 });
    assert.equal(answers.filter((a) => !SLOWED.test(a.body)).length, 5, 'exactly the threshold mailed at once');
  });

  it('lets exactly 10 of 200 parallel sign-ups from one address through, 429 for the rest', { timeout: 120_000 }, async () => {
    const answers = await burst(base, 200, (i) => ({
      method: 'POST',
      path: '/subscribe',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `email=burst${i}%40example.com&scope=all`,
      localAddress: '127.0.0.9',
    }));
    assert.deepEqual(statuses(answers), { 200: 10, 429: 190 });
  });
});
