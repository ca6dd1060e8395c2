// Pharos from the production build, as the benchmarks run it: its own port on 127.0.0.1, a data folder,
// many open files allowed; and what the operating system says of it (RSS, CPU time).
import { execSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { projectRoot } from '../../server/lib/paths.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export function buildProduction(): void {
  execSync('npm run -s build', { cwd: projectRoot(), stdio: 'inherit' });
}

export interface RunningPharos {
  child: ChildProcess;
  url: string;
  port: number;
  /** SIGTERM, then SIGKILL after `ms` if it is still there. */
  stop(ms?: number): Promise<void>;
}

/** `node dist/server/main.js` with as many open files as allowed (`ulimit -n` up to the hard limit), resolved once /api/v2/status.json answers. */
export async function startProduction(dataDir: string, env: Record<string, string> = {}, port?: number): Promise<RunningPharos> {
  const p = port ?? (await freePort());
  // To profile the server under a benchmark: BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
  const args = process.env.BENCH_NODE_ARGS ?? '';
  const child = spawn('bash', ['-c', `ulimit -n $(ulimit -Hn) && exec "${process.execPath}" ${args} dist/server/main.js`], {
    cwd: projectRoot(),
    env: {
      PATH: process.env.PATH ?? '',
      DATA_DIR: dataDir,
      PORT: String(p),
      HOST: '127.0.0.1',
      // The benchmarks drive the API harder than a key's budget allows; they measure Pharos, not the limit.
      API_RATE_LIMIT: '1000000',
      ALERT_RATE_LIMIT: '1000000',
      // Every client of a benchmark comes from 127.0.0.1: the per-address cap would refuse the crowd.
      MAX_CONNECTIONS_PER_ADDRESS: '1000000',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      NODE_ENV: 'production',
      PAGE_NAME: 'ACME Status',
      ...env,
    },
    stdio: ['ignore', process.env.BENCH_LOG_LEVEL ? 'inherit' : 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${p}`;
  const until = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Pharos exited with ${child.exitCode} before answering`);
    try {
      if ((await fetch(`${url}/api/v2/status.json`, { signal: AbortSignal.timeout(1000) })).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error('Pharos did not answer within 30 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    url,
    port: p,
    async stop(ms = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), ms);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resident memory (MiB) and CPU time used so far (seconds) of a process, from /proc. */
export function processStats(pid: number): { rssMiB: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  // Fields 14 and 15 of /proc/PID/stat (utime, stime), in clock ticks; after the command name in parentheses.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssMiB: rssKb / 1024, cpuSeconds: ticks / 100 };
}

/** The parent pid of a process (undefined once it is gone). */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** processStats summed over a process and all its descendants (a Pharos with WEB_CONCURRENCY workers). */
export function treeStats(pid: number): { rssMiB: number; cpuSeconds: number; processes: number } {
  const all = readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
  const tree = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) {
      const parent = parentOf(p);
      if (!tree.has(p) && parent !== undefined && tree.has(parent)) {
        tree.add(p);
        grew = true;
      }
    }
  }
  let rssMiB = 0;
  let cpuSeconds = 0;
  for (const p of tree) {
    try {
      const s = processStats(p);
      rssMiB += s.rssMiB;
      cpuSeconds += s.cpuSeconds;
    } catch {
      // gone meanwhile
    }
  }
  return { rssMiB, cpuSeconds, processes: tree.size };
}
