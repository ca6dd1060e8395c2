// npm run bench:mail: 10,000 confirmed subscribers, one update posted through the management API, a local
// SMTP sink. Prints the time to enqueue, to the last delivery, messages per second and the operator's POST
// latency while the mail goes out. Everything on 127.0.0.1, bounded in time; it stops by itself.
// `npm run bench:mail -- --drops`: 200 mails with 8 dropped SMTP connections instead (mail-drops.ts).
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
import { mailDrops } from './mail-drops.js';
import { buildProduction, startProduction } from './pharos-process.js';
import { percentile, report } from './report.js';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 10_000);
const LIMIT_MS = 120_000;
const system = { type: 'system' } as const;

async function main(): Promise<void> {
  buildProduction();
  const dataDir = mkdtempSync(join(tmpdir(), 'pharos-bench-mail-'));
  const deadline = Date.now() + LIMIT_MS;

  // Seed: one component, one open incident, an API key and the confirmed subscribers.
  const seed = createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), { log: createLog('silent') });
  const component = createComponent(seed, system, { name: 'API' });
  const incident = createIncident(seed, system, { name: 'Benchmark incident', components: { [component.id]: 'major_outage' }, deliver_notifications: false });
  const key = createApiKey(seed, { type: 'system' }, { name: 'bench' }).key;
  importCsv(seed, system, Array.from({ length: SUBSCRIBERS }, (_, i) => `reader${i}@bench.example`).join('\n'), true);
  const pageId = seed.pageId;
  seed.db.close();

  let received = 0;
  let lastAt = 0;
  const sink = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        received++;
        lastAt = performance.now();
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', () => resolve()));
  const smtpPort = (sink.server.address() as AddressInfo).port;

  const pharos = await startProduction(dataDir, { SMTP_URL: `smtp://127.0.0.1:${smtpPort}` });
  try {
    const base = pharos.url;
    const headers = { Authorization: `OAuth ${key}`, 'Content-Type': 'application/json' };
    const url = `${base}/api/v1/pages/${pageId}/incidents/${incident.id}`;

    const t0 = performance.now();
    const post = await fetch(url, { method: 'PATCH', headers, body: JSON.stringify({ incident: { status: 'identified', body: 'Benchmark update.' } }) });
    const enqueueMs = performance.now() - t0;
    if (!post.ok) throw new Error(`update refused: ${post.status} ${await post.text()}`);

    // The operator keeps working while the mail goes out: a small edit every 100 ms.
    const latencies: number[] = [];
    let n = 0;
    while (received < SUBSCRIBERS && Date.now() < deadline) {
      const s = performance.now();
      const r = await fetch(url, { method: 'PATCH', headers, body: JSON.stringify({ incident: { name: `Benchmark incident ${++n}` } }) });
      await r.arrayBuffer();
      latencies.push(performance.now() - s);
      await new Promise((r2) => setTimeout(r2, 100));
    }
    const totalMs = lastAt - t0;
    latencies.sort((a, b) => a - b);
    report(
      `mail: ${SUBSCRIBERS.toLocaleString('en')} subscribers, one update`,
      'npm run bench:mail',
      [
        ['update POST, including enqueueing every delivery (one transaction)', `${enqueueMs.toFixed(0)} ms`, '< 250 ms'],
        ['delivered', `${received.toLocaleString('en')} of ${SUBSCRIBERS.toLocaleString('en')}`, 'all'],
        ['time from the POST to the last delivery', `${(totalMs / 1000).toFixed(1)} s`, '< 30 s'],
        ['messages per second', `${Math.round(received / (totalMs / 1000))}`, ''],
        [
          `operator POST while sending (n=${latencies.length}) p50 / p99 / max`,
          `${percentile(latencies, 50).toFixed(0)} / ${percentile(latencies, 99).toFixed(0)} / ${(latencies.at(-1) ?? NaN).toFixed(0)} ms`,
          'p99 < 100 ms',
        ],
      ],
      ['SMTP: a local smtp-server sink on loopback (no TLS), SMTP_MAX_CONNECTIONS=5; Pharos from the production build (`node dist/server/main.js`).'],
    );
  } finally {
    await pharos.stop();
    sink.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

(process.argv.includes('--drops') ? mailDrops() : main()).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
