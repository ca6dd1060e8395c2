// npm run bench:mail -- --drops: "200 mails with 8 drops". 200 confirmed subscribers, one update posted
// through the management API, a local SMTP sink behind a relay that drops the connection at every 25th
// DATA command, 8 times. Pharos runs from the production build with its jobs (the minute sweep
// included). Prints the time to the last delivery and what the drops cost: the stalls, when nothing
// was delivered for more than a second. Bounded at 15 minutes.
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { loadConfig } from '../../server/config.js';
import { createContext } from '../../server/compose.js';
import { createApiKey } from '../../server/domain/access/api-keys.js';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { importCsv } from '../../server/domain/subscribers/import-export.js';
import { createLog } from '../../server/log.js';
import { DroppingRelay } from '../../test/helpers/smtp-drops.js';
import { buildProduction, startProduction } from './pharos-process.js';
import { percentile, report } from './report.js';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 200);
const DROPS = Number(process.env.BENCH_DROPS ?? 8);
const LIMIT_MS = 15 * 60_000;
const system = { type: 'system' } as const;

export async function mailDrops(): Promise<void> {
  buildProduction();
  const dataDir = mkdtempSync(join(tmpdir(), 'pharos-bench-drops-'));
  const seed = createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), { log: createLog('silent') });
  const component = createComponent(seed, system, { name: 'API' });
  const incident = createIncident(seed, system, { name: 'Benchmark incident', components: { [component.id]: 'major_outage' }, deliver_notifications: false });
  const key = createApiKey(seed, { type: 'system' }, { name: 'bench' }).key;
  importCsv(seed, system, Array.from({ length: SUBSCRIBERS }, (_, i) => `reader${i}@bench.example`).join('\n'), true);
  const pageId = seed.pageId;
  seed.db.close();

  const deliveredAt: number[] = [];
  const sink = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        deliveredAt.push(performance.now());
        callback();
      });
    },
  });
  sink.on('error', () => undefined);
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', () => resolve()));
  const relay = new DroppingRelay(() => (sink.server.address() as AddressInfo).port);
  relay.every = Math.max(1, Math.floor(SUBSCRIBERS / DROPS));
  relay.drops = DROPS;
  await relay.start();

  const pharos = await startProduction(dataDir, { SMTP_URL: relay.url });
  try {
    const t0 = performance.now();
    const post = await fetch(`${pharos.url}/api/v1/pages/${pageId}/incidents/${incident.id}`, {
      method: 'PATCH',
      headers: { Authorization: `OAuth ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ incident: { status: 'identified', body: 'Benchmark update.' } }),
    });
    if (!post.ok) throw new Error(`update refused: ${post.status} ${await post.text()}`);
    const deadline = Date.now() + LIMIT_MS;
    while (deliveredAt.length < SUBSCRIBERS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const totalS = ((deliveredAt.at(-1) ?? NaN) - t0) / 1000;
    // What the drops cost: the stalls, gaps of more than half a second between two deliveries (sending
    // itself delivers many a second).
    const stalls = deliveredAt
      .slice(1)
      .map((d, i) => (d - (deliveredAt[i] ?? d)) / 1000)
      .filter((gap) => gap > 0.5)
      .sort((a, b) => a - b);
    report(
      `mail: ${SUBSCRIBERS} mails with ${relay.dropped} dropped connections`,
      'npm run bench:mail -- --drops',
      [
        ['delivered', `${deliveredAt.length} of ${SUBSCRIBERS}`, 'all'],
        ['connections dropped at DATA', `${relay.dropped}`, `${DROPS}`],
        ['time from the POST to the last delivery', `${totalS.toFixed(1)} s`, ''],
        [
          `stalls (more than 0.5 s without a delivery): count · p50 / max · total`,
          `${stalls.length} · ${percentile(stalls, 50).toFixed(1)} / ${(stalls.at(-1) ?? NaN).toFixed(1)} s · ${stalls.reduce((a, b) => a + b, 0).toFixed(1)} s`,
          'each drop costs its pause, not the wait for the next minute sweep',
        ],
      ],
      [
        `SMTP: a local smtp-server sink behind a relay dropping every ${relay.every}th DATA command, SMTP_MAX_CONNECTIONS=5; Pharos from the production build with its jobs (the minute sweep).`,
      ],
    );
  } finally {
    await pharos.stop();
    await relay.stop();
    sink.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
