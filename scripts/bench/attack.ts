// npm run bench:attack: a quiet baseline, then one attack at a time, from one address (127.0.0.10) and from
// 20 (127.0.0.20–39): expensive URLs, 20,000 idle connections, 5,000 raw websockets, a sign-in flood, a
// sign-up flood, an API flood. Throughout, from other addresses: a viewer's GET / and status.json, 1,000
// live viewers receiving each update, and an operator posting updates. Each phase against the baseline of
// the same run. Everything on 127.x, bounded in time; it stops by itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../server/lib/paths.js';
import type { AttackName, FromAttacker, ToAttacker } from './attack/attackers.js';
import { attackerKey, operatorLoop, viewerLoop, type Samples } from './attack/probes.js';
import type { FromViewers, ToViewers } from './attack/viewers.js';
import { buildProduction, startProduction } from './pharos-process.js';
import { percentile, report } from './report.js';
import { SEEDED_PAGE, seed } from './seed.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WORKERS = Number(process.env.BENCH_WEB_CONCURRENCY ?? 2);
const VIEWERS = Number(process.env.BENCH_VIEWERS ?? 1000);
const ALL_ATTACKS: AttackName[] = ['expensive-urls', 'idle-connections', 'raw-websockets', 'signin-flood', 'signup-flood', 'api-flood'];
/** BENCH_ATTACKS=expensive-urls,api-flood runs only those (while working on one). */
const ATTACKS = process.env.BENCH_ATTACKS ? ALL_ATTACKS.filter((a) => process.env.BENCH_ATTACKS?.split(',').includes(a)) : ALL_ATTACKS;
const ONE = ['127.0.0.10'];
const TWENTY = Array.from({ length: 20 }, (_, i) => `127.0.0.${20 + i}`);

/** A child process of ours (tsx) with IPC, allowed as many open files as the hard limit lets it. */
function child(file: string): ChildProcess {
  return spawn('bash', ['-c', `ulimit -n $(ulimit -Hn) && exec "${process.execPath}" --import tsx ${file}`], {
    cwd: projectRoot(),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function next<T>(proc: ChildProcess, type: string, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} within ${ms} ms`)), ms);
    const on = (m: { type: string }) => {
      if (m.type !== type) return;
      clearTimeout(timer);
      proc.off('message', on);
      resolve(m as T);
    };
    proc.on('message', on);
  });
}

interface Phase {
  name: string;
  page: Samples;
  status: Samples;
  post: Samples;
  live: { latencies: number[]; expected: number; viewersRefused: number };
  attacker: Record<string, number>;
}

const ms = (v: number) => (Number.isFinite(v) ? `${v < 10 ? v.toFixed(1) : Math.round(v)} ms` : '–');
const p99 = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    99,
  );

async function main(): Promise<void> {
  buildProduction();
  const dir = mkdtempSync(join(tmpdir(), 'pharos-bench-attack-'));
  const seeded = seed(dir);
  const leaked = attackerKey(dir);
  // The operator's key and the attacker's leaked one each get API_RATE_LIMIT a minute; the operator posts 4 a second.
  // The per-address connection cap as shipped (pharos-process.ts lifts it for the other benchmarks).
  const env = {
    WEB_CONCURRENCY: String(WORKERS),
    API_RATE_LIMIT: '600',
    MAX_CONNECTIONS_PER_ADDRESS: '1000',
    // BENCH_SCHED=none: each worker accepts by itself (NODE_CLUSTER_SCHED_POLICY) rather than round robin.
    ...(process.env.BENCH_SCHED ? { NODE_CLUSTER_SCHED_POLICY: process.env.BENCH_SCHED } : {}),
  };
  const pharos = await startProduction(dir, env);
  const viewers = [child('scripts/bench/attack/viewers.ts'), child('scripts/bench/attack/viewers.ts')];
  // Two attacker processes: 20,000 held connections need more descriptors than one process may have here.
  const attackers = [child('scripts/bench/attack/attackers.ts'), child('scripts/bench/attack/attackers.ts')];
  const phases: Phase[] = [];
  try {
    const started = viewers.map((v) => next<Extract<FromViewers, { type: 'connected' }>>(v, 'connected', 120_000));
    viewers.forEach((v, i) =>
      v.send({
        type: 'start',
        url: pharos.url,
        count: VIEWERS / viewers.length,
        addresses: [`127.0.1.${2 * i + 1}`, `127.0.1.${2 * i + 2}`],
      } satisfies ToViewers),
    );
    const connected = (await Promise.all(started)).reduce((s, c) => s + c.count, 0);
    console.error(`${connected} live viewers connected`);
    let update = 0;
    const incident = `${pharos.url}/api/v1/pages/${seeded.pageId}/incidents/${seeded.openIncidentIds[0] ?? ''}`;

    const measure = async (name: string, attack?: { name: AttackName; addresses: string[] }): Promise<void> => {
      if (attack) {
        for (const a of attackers)
          a.send({
            type: 'start',
            attack: attack.name,
            url: pharos.url,
            addresses: attack.addresses,
            share: 1 / attackers.length,
            pageId: seeded.pageId,
            apiKey: leaked,
          } satisfies ToAttacker);
        // The attack ramps up before anything is measured.
        await new Promise((r) => setTimeout(r, 3000));
      }
      // Receipts from before this phase are dropped.
      await Promise.all(viewers.map((v) => (v.send({ type: 'report' } satisfies ToViewers), next(v, 'receipts', 10_000))));
      const until = Date.now() + SECONDS * 1000;
      const first = update + 1;
      const sentAt = new Map<number, number>();
      const [page, status, post] = await Promise.all([
        viewerLoop(`${pharos.url}/`, until),
        viewerLoop(`${pharos.url}/api/v2/status.json`, until),
        operatorLoop(incident, seeded.apiKey, until, () => ++update, sentAt),
      ]);
      // A moment for the last updates to arrive, then what every viewer received.
      await new Promise((r) => setTimeout(r, 2000));
      const got = await Promise.all(
        viewers.map((v) => (v.send({ type: 'report' } satisfies ToViewers), next<Extract<FromViewers, { type: 'receipts' }>>(v, 'receipts', 10_000))),
      );
      const latencies: number[] = [];
      let expected = 0;
      for (let n = first; n <= update; n++) {
        const at = sentAt.get(n);
        if (at === undefined) continue;
        expected += got.reduce((s, g) => s + g.connected, 0);
        for (const g of got) for (const t of g.receipts[String(n)] ?? []) latencies.push(t - at);
      }
      const counts: Record<string, number> = {};
      if (attack) {
        const stopped = attackers.map((a) => next<FromAttacker>(a, 'stopped', 30_000));
        for (const a of attackers) a.send({ type: 'stop' } satisfies ToAttacker);
        for (const { counts: c } of await Promise.all(stopped)) for (const [k, v] of Object.entries(c)) counts[k] = (counts[k] ?? 0) + v;
        // What the attack left behind (closing connections, queued mail) settles before the next phase.
        await new Promise((r) => setTimeout(r, 5000));
      }
      const phase = { name, page, status, post, live: { latencies, expected, viewersRefused: got.reduce((s, g) => s + g.refusals, 0) }, attacker: counts };
      phases.push(phase);
      console.error(
        `${name}: GET / p99 ${ms(p99(page.times))}, status.json p99 ${ms(p99(status.times))}, POST p99 ${ms(p99(post.times))}, live p99 ${ms(p99(latencies))} · ${JSON.stringify(counts)}`,
      );
    };

    await measure('baseline (no attack)');
    for (const name of ATTACKS) {
      await measure(`${name}, from one address`, { name, addresses: ONE });
      await measure(`${name}, from 20 addresses`, { name, addresses: TWENTY });
    }

    const base = phases[0];
    const row = (p: Phase): [string, string, string] => {
      const refused = p.page.failed + p.status.failed + p.live.viewersRefused;
      const received = `${p.live.latencies.length.toLocaleString('en')} of ${p.live.expected.toLocaleString('en')}`;
      return [
        p.name,
        `GET / ${ms(p99(p.page.times))} · status.json ${ms(p99(p.status.times))} · live ${ms(p99(p.live.latencies))} (${received}) · POST ${ms(p99(p.post.times))}${p.post.failed ? ` (${p.post.failed} failed)` : ''} · refused to viewers: ${refused}`,
        p === base ? 'the reference' : 'each ≤ 2× the baseline, POST < 200 ms, 0 refused',
      ];
    };
    report(
      `attack: viewers and operators while one outsider attacks (p99 of each)${WORKERS > 1 ? `, WEB_CONCURRENCY=${WORKERS}` : ''}`,
      'npm run bench:attack',
      phases.map(row),
      [
        `Seeded page: ${SEEDED_PAGE}. Pharos from the production build, ${WORKERS > 1 ? `WEB_CONCURRENCY=${WORKERS}` : 'one process'}, defaults but API_RATE_LIMIT=600. Each phase: ${SECONDS} s measured after a 3 s ramp. A viewer (127.0.0.1) GETs / and /api/v2/status.json on a new connection each time, one after the other; ${VIEWERS.toLocaleString('en')} socket.io viewers (127.0.1.1–4) receive each update; the operator (127.0.0.1) PATCHes an incident through the management API every 250 ms. The attacker (two processes of its own) floods with 16 requests in flight per address, or holds connections open (opening at most 5,000 a second). Everything shares the machine's 2 cores.`,
        `What the attacker got, phase by phase: ${phases
          .slice(1)
          .map(
            (p) =>
              `${p.name}: ${Object.entries(p.attacker)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ')}`,
          )
          .join('; ')}.`,
      ],
    );
  } finally {
    for (const a of attackers) a.kill('SIGKILL');
    for (const v of viewers) {
      if (v.connected) v.send({ type: 'exit' } satisfies ToViewers);
      setTimeout(() => v.kill('SIGKILL'), 2000).unref();
    }
    await pharos.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main()
  .then(() => process.exit(0))
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
