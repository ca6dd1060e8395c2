// npm run bench:webhooks: 10,000 webhook subscribers, one update posted through the management API, a local
// HTTP receiver that checks every signature. Prints the time to enqueue, to the last delivery, deliveries
// per second and the operator's POST latency meanwhile. Everything on 127.0.0.1, bounded; it stops by itself.
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../server/config.js';
import { createContext } from '../../server/compose.js';
import { createApiKey } from '../../server/domain/access/api-keys.js';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { createLog } from '../../server/log.js';
import { buildProduction, startProduction } from './pharos-process.js';
import { percentile, report } from './report.js';

const SUBSCRIBERS = Number(process.env.BENCH_WEBHOOKS ?? 10_000);
const SECRET = 'whsec_bench';
const LIMIT_MS = 120_000;
const system = { type: 'system' } as const;

async function main(): Promise<void> {
  buildProduction();
  const dataDir = mkdtempSync(join(tmpdir(), 'pharos-bench-webhooks-'));
  const deadline = Date.now() + LIMIT_MS;

  // Seed: one component, one open incident, an API key and the confirmed subscribers.
  const seed = createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), { log: createLog('silent') });
  const component = createComponent(seed, system, { name: 'API' });
  const incident = createIncident(seed, system, { name: 'Benchmark incident', components: { [component.id]: 'major_outage' }, deliver_notifications: false });
  const key = createApiKey(seed, { type: 'system' }, { name: 'bench' }).key;
  const pageId = seed.pageId;

  let received = 0;
  let badSignatures = 0;
  let lastAt = 0;
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const [t, v1] = String(req.headers['x-pharos-signature'])
        .split(',')
        .map((p) => p.split('=')[1]);
      if (createHmac('sha256', SECRET).update(`${t}.${raw}`).digest('hex') !== v1) badSignatures++;
      if (raw.includes('"incident"')) {
        received++;
        lastAt = performance.now();
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  const port = (receiver.address() as AddressInfo).port;

  // The webhooks, as an admin adds them (a private address is allowed for an admin), in one transaction.
  const at = new Date().toISOString();
  const insert = seed.db.prepare(
    `INSERT INTO endpoints (id, kind, name, url, email, signing_secret, created_by, allow_private, private_address, verified_at, created_at, updated_at)
     VALUES (?, 'webhook', ?, ?, 'ops@bench.example', ?, 'admin', 1, 1, ?, ?, ?)`,
  );
  seed.db.transaction(() => {
    for (let i = 0; i < SUBSCRIBERS; i++) insert.run(`bench${i}`, `hook ${i}`, `http://127.0.0.1:${port}/hooks/${i}`, SECRET, at, at, at);
  })();
  seed.db.close();

  const pharos = await startProduction(dataDir, {});
  try {
    const base = pharos.url;
    const headers = { Authorization: `OAuth ${key}`, 'Content-Type': 'application/json' };
    const url = `${base}/api/v1/pages/${pageId}/incidents/${incident.id}`;

    const t0 = performance.now();
    const post = await fetch(url, { method: 'PATCH', headers, body: JSON.stringify({ incident: { status: 'identified', body: 'Benchmark update.' } }) });
    const enqueueMs = performance.now() - t0;
    if (!post.ok) throw new Error(`update refused: ${post.status} ${await post.text()}`);

    // The operator keeps working while the webhooks go out: a small edit every 100 ms (no notification).
    const latencies: number[] = [];
    let n = 0;
    while (received < SUBSCRIBERS && Date.now() < deadline) {
      const s = performance.now();
      const r = await fetch(url, {
        method: 'PATCH',
        headers,
        body: JSON.stringify({ incident: { name: `Benchmark incident ${++n}`, deliver_notifications: false } }),
      });
      await r.arrayBuffer();
      latencies.push(performance.now() - s);
      await new Promise((r2) => setTimeout(r2, 100));
    }
    const totalMs = lastAt - t0;
    latencies.sort((a, b) => a - b);
    report(
      `webhooks: ${SUBSCRIBERS.toLocaleString('en')} webhook subscribers, one update`,
      'npm run bench:webhooks',
      [
        ['update POST, including enqueueing every delivery (one transaction)', `${enqueueMs.toFixed(0)} ms`, '< 250 ms'],
        ['delivered', `${received.toLocaleString('en')} of ${SUBSCRIBERS.toLocaleString('en')}`, 'all'],
        ['time from the POST to the last delivery', `${(totalMs / 1000).toFixed(1)} s`, '< 30 s'],
        ['deliveries per second', `${Math.round(received / (totalMs / 1000))}`, ''],
        ['signatures that did not verify', `${badSignatures}`, '0'],
        [
          `operator POST while sending (n=${latencies.length}) p50 / p99 / max`,
          `${percentile(latencies, 50).toFixed(0)} / ${percentile(latencies, 99).toFixed(0)} / ${(latencies.at(-1) ?? NaN).toFixed(0)} ms`,
          'p99 < 100 ms',
        ],
      ],
      [
        'Receiver: one node:http server on loopback (each webhook its own path), checking every X-Pharos-Signature and answering 204; the worker sends 32 at a time; Pharos from the production build (`node dist/server/main.js`).',
      ],
    );
  } finally {
    await pharos.stop();
    receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
