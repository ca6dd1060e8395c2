// npm run bench:http: Pharos's status page and summary.json against Debian's nginx serving the very same
// bytes as static files, measured with wrk in one run, at 100 and 1,000 connections, plain and with
// If-None-Match (304). Everything on 127.0.0.1, each run bounded in time; it stops by itself.
import { execSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../server/paths.js';
import { report } from './report.js';
import { seed } from './seed.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 8);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  errors: string;
}

function wrk(url: string, connections: number, headers: string[] = []): WrkResult {
  const args = ['-t2', `-c${connections}`, `-d${DURATION}s`, '--latency', ...headers.flatMap((h) => ['-H', h]), url];
  const run = spawnSync('bash', ['-c', `ulimit -n $(ulimit -Hn); exec wrk ${args.map((a) => `'${a}'`).join(' ')}`], { encoding: 'utf8', timeout: (DURATION + 30) * 1000 });
  const out = run.stdout;
  const ms = (label: string) => {
    const m = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const errors = /Socket errors:[^\n]*|Non-2xx or 3xx responses: \d+/.exec(out)?.[0] ?? '';
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN), p50: ms(' 50'), p99: ms(' 99'), errors };
}

async function main(): Promise<void> {
  for (const tool of ['nginx', 'wrk']) {
    if (spawnSync('bash', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is needed: apt-get install nginx wrk`);
  }
  const root = projectRoot();
  execSync('npm run -s build', { cwd: root, stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'pharos-bench-http-'));
  const dataDir = join(dir, 'data');
  seed(dataDir);

  const pharosPort = await freePort();
  const nginxPort = await freePort();
  const pharos = spawn(process.execPath, ['dist/server/main.js'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, PORT: String(pharosPort), HOST: '127.0.0.1', LOG_LEVEL: 'warn', NODE_ENV: 'production', PAGE_NAME: 'ACME Status' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let nginx: ReturnType<typeof spawn> | undefined;
  try {
    const base = `http://127.0.0.1:${pharosPort}`;
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`${base}/api/v2/status.json`)).ok) break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // nginx serves the very bytes Pharos returns, from its own config in a temporary folder.
    const www = join(dir, 'www');
    mkdirSync(join(www, 'api', 'v2'), { recursive: true });
    const page = await fetch(`${base}/`);
    const pageEtag = page.headers.get('etag') ?? '';
    writeFileSync(join(www, 'index.html'), Buffer.from(await page.arrayBuffer()));
    const summary = await fetch(`${base}/api/v2/summary.json`);
    const summaryEtag = summary.headers.get('etag') ?? '';
    writeFileSync(join(www, 'api', 'v2', 'summary.json'), Buffer.from(await summary.arrayBuffer()));
    writeFileSync(
      join(dir, 'nginx.conf'),
      `worker_processes auto; pid ${join(dir, 'nginx.pid')}; error_log ${join(dir, 'error.log')};
events { worker_connections 4096; }
http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  types { text/html html; application/json json; }
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server { listen 127.0.0.1:${nginxPort}; root ${www}; index index.html; } }
`,
    );
    nginx = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'inherit' });
    await new Promise((r) => setTimeout(r, 500));
    const nginxBase = `http://127.0.0.1:${nginxPort}`;
    const nginxEtag = (path: string) => fetch(`${nginxBase}${path}`).then((r) => r.headers.get('etag') ?? '');

    const rows: [string, string, string?][] = [];
    for (const [path, etag] of [
      ['/', pageEtag],
      ['/api/v2/summary.json', summaryEtag],
    ] as const) {
      for (const connections of [100, 1000]) {
        const a = wrk(`${base}${path}`, connections);
        const b = wrk(`${nginxBase}${path}`, connections);
        rows.push([
          `${path} · ${connections} conn · Pharos / nginx req/s`,
          `${Math.round(a.rps)} / ${Math.round(b.rps)} (${((100 * a.rps) / b.rps).toFixed(0)} %)`,
          '≥ 50 %',
        ]);
        rows.push([`${path} · ${connections} conn · Pharos p50 / p99 (nginx p50 / p99)`, `${a.p50.toFixed(1)} / ${a.p99.toFixed(1)} ms (${b.p50.toFixed(1)} / ${b.p99.toFixed(1)} ms)${a.errors ? ` · ${a.errors}` : ''}`, 'p99 < 50 ms']);
      }
      const a = wrk(`${base}${path}`, 100, [`If-None-Match: ${etag}`]);
      const b = wrk(`${nginxBase}${path}`, 100, [`If-None-Match: ${await nginxEtag(path)}`]);
      rows.push([`${path} · 100 conn · 304 · Pharos / nginx req/s`, `${Math.round(a.rps)} / ${Math.round(b.rps)} (${((100 * a.rps) / b.rps).toFixed(0)} %)`, '']);
    }
    report(
      'http: the status page and summary.json against nginx serving the same bytes',
      'npm run bench:http',
      rows,
      [
        `Seeded page: 40 components in 6 groups, 3 open incidents with 5 updates each, 300 past incidents over 90 days. wrk -t2, ${DURATION} s per run, Pharos (production build, one process) and nginx (worker_processes auto) on the same 2 cores, in turn. Compression (gzip/brotli) is not measured yet: Pharos does not compress its responses so far.`,
      ],
    );
  } finally {
    nginx?.kill('SIGTERM');
    pharos.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    pharos.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
