// npm run bench:http: Pharos's status page and summary.json against Debian's nginx serving the very same
// bytes (plain, gzip, brotli) as static files, measured with wrk in one run, at 100 and 1,000 connections,
// and with If-None-Match (304); and the time to rebuild the page's snapshot after a change. Everything on
// 127.0.0.1, each run bounded in time; it stops by itself.
import { fork, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadConfig } from '../../server/config.js';
import { projectRoot } from '../../server/lib/paths.js';
import { createContext } from '../../server/compose.js';
import { createLog } from '../../server/log.js';
import { buildProduction, freePort, startProduction } from './pharos-process.js';
import { percentile, report } from './report.js';
import { SEEDED_PAGE, seed } from './seed.js';
import { needTools, wrk } from './wrk.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 6);
/** Pharos with each of these WEB_CONCURRENCY values, one after the other, each against nginx in the same run. */
const WORKERS = (process.env.BENCH_WEB_CONCURRENCY ?? '1,2').split(',').map(Number);
const PATHS = ['/', '/api/v2/summary.json'] as const;
const ENCODINGS = { br: '.br', gzip: '.gz' } as const;

/** The bytes as sent (fetch would decode them) and the ETag. */
function raw(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer; etag: string; encoding: string }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks),
          etag: String(res.headers.etag ?? ''),
          encoding: String(res.headers['content-encoding'] ?? 'identity'),
        }),
      );
    })
      .on('error', reject)
      .end();
  });
}

/** Median, p95 and max of rebuilding the seeded page's snapshot, and of compressing its page once. */
function rebuildTimes(dataDir: string): { rebuild: number[]; compress: number[] } {
  const ctx = createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', PAGE_NAME: 'ACME Status' }), { log: createLog('silent') });
  const rebuild: number[] = [];
  const compress: number[] = [];
  let version = ctx.snapshot.current().version;
  for (let i = 0; i < 30; i++) {
    const started = performance.now();
    const s = ctx.snapshot.rebuild(++version);
    rebuild.push(performance.now() - started);
    const page = s.bodies.get('/');
    const c = performance.now();
    page?.encoded('br');
    page?.encoded('gzip');
    compress.push(performance.now() - c);
  }
  ctx.db.close();
  // The first rounds warm the JIT up, as a running server is.
  return { rebuild: rebuild.slice(5).sort((a, b) => a - b), compress: compress.slice(5).sort((a, b) => a - b) };
}

function nginxConfig(dir: string, www: string, port: number): string {
  const location = (path: string, file: string, type: string) =>
    `location = ${path} { default_type ${type}; add_header Vary Accept-Encoding; add_header Content-Encoding $ce; try_files ${file}$pre =404; }`;
  return `worker_processes auto; pid ${join(dir, 'nginx.pid')}; error_log ${join(dir, 'error.log')};
events { worker_connections 4096; }
http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  types { text/html html; application/json json; }
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  # The precompressed files Pharos's own bytes were saved as, chosen as Pharos chooses: brotli, then gzip.
  map $http_accept_encoding $pre { ~*\\bbr\\b .br; ~*gzip .gz; default ""; }
  map $http_accept_encoding $ce { ~*\\bbr\\b br; ~*gzip gzip; default ""; }
  server { listen 127.0.0.1:${port}; root ${www};
    ${location('/', '/index.html', 'text/html')}
    ${location('/api/v2/summary.json', '/api/v2/summary.json', 'application/json')} } }
`;
}

async function main(): Promise<void> {
  needTools('nginx', 'wrk');
  buildProduction();
  const dir = mkdtempSync(join(tmpdir(), 'pharos-bench-http-'));
  // nginx's workers run as another user: they must be able to read the files.
  chmodSync(dir, 0o755);
  const dataDir = join(dir, 'data');
  seed(dataDir);
  const times = rebuildTimes(dataDir);

  let pharos = await startProduction(dataDir, { WEB_CONCURRENCY: String(WORKERS[0] ?? 1) });
  let nginx: ReturnType<typeof spawn> | undefined;
  try {
    // nginx serves the very bytes Pharos returns, in each encoding, from its own config in a temporary folder.
    const www = join(dir, 'www');
    let sizes: string[] = [];
    // Again after each restart: today's uptime bar counts the seeded open outage's minutes as they pass.
    const copyBytes = async () => {
      sizes = [];
      for (const path of PATHS) {
        const file = join(www, path === '/' ? 'index.html' : path);
        mkdirSync(dirname(file), { recursive: true });
        const plain = await raw(`${pharos.url}${path}`);
        writeFileSync(file, plain.body);
        const size = [`${(plain.body.length / 1024).toFixed(0)} KB`];
        for (const [encoding, suffix] of Object.entries(ENCODINGS)) {
          const encoded = await raw(`${pharos.url}${path}`, { 'Accept-Encoding': encoding });
          if (encoded.encoding !== encoding) throw new Error(`Pharos answered ${path} with ${encoded.encoding} to Accept-Encoding: ${encoding}`);
          writeFileSync(file + suffix, encoded.body);
          size.push(`${encoding} ${(encoded.body.length / 1024).toFixed(1)} KB`);
        }
        sizes.push(`${path}: ${size.join(', ')}`);
      }
    };
    await copyBytes();
    const nginxPort = await freePort();
    writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, www, nginxPort));
    nginx = spawn('bash', ['-c', `ulimit -n $(ulimit -Hn); exec nginx -c ${join(dir, 'nginx.conf')} -g 'daemon off;'`], { stdio: 'inherit' });
    await new Promise((r) => setTimeout(r, 500));
    const nginxUrl = `http://127.0.0.1:${nginxPort}`;
    // Before measuring anything: nginx answers with Pharos's very bytes, in every encoding.
    const sameBytes = async () => {
      for (const path of PATHS) {
        for (const encoding of ['identity', ...Object.keys(ENCODINGS)]) {
          const [ours, theirs] = await Promise.all([
            raw(`${pharos.url}${path}`, { 'Accept-Encoding': encoding }),
            raw(`${nginxUrl}${path}`, { 'Accept-Encoding': encoding }),
          ]);
          if (theirs.status !== 200 || theirs.encoding !== ours.encoding || !theirs.body.equals(ours.body)) {
            throw new Error(
              `nginx does not serve ${path} (${encoding}) as Pharos does: ${theirs.status}, ${theirs.encoding}, ${theirs.body.length} bytes\n${readFileSync(join(dir, 'nginx.conf'), 'utf8')}`,
            );
          }
        }
      }
    };
    await sameBytes();

    const rows: [string, string, string?][] = [
      [
        'snapshot rebuild after a change · p50 / p95 / max (n=25)',
        `${percentile(times.rebuild, 50).toFixed(1)} / ${percentile(times.rebuild, 95).toFixed(1)} / ${(times.rebuild.at(-1) ?? NaN).toFixed(1)} ms`,
        '< 20 ms',
      ],
      ['compressing the new page once (brotli + gzip, on its first request) · p50', `${percentile(times.compress, 50).toFixed(1)} ms`, ''],
    ];
    // wrk runs to its end before the next starts (spawnSync): the pairs are measured one after the other.
    let who = '';
    const pair = (path: string, label: string, connections: number, headers: string[], target: boolean) => {
      const a = wrk(`${pharos.url}${path}`, connections, DURATION, headers);
      const b = wrk(`${nginxUrl}${path}`, connections, DURATION, headers);
      rows.push([
        `${path} · ${label} · ${connections} conn · ${who} / nginx req/s`,
        `${Math.round(a.rps)} / ${Math.round(b.rps)} (${((100 * a.rps) / b.rps).toFixed(0)} %)`,
        target ? '≥ 50 %' : '',
      ]);
      rows.push([
        `${path} · ${label} · ${connections} conn · ${who} p50 / p99 (nginx p50 / p99)`,
        `${a.p50.toFixed(1)} / ${a.p99.toFixed(1)} ms (${b.p50.toFixed(1)} / ${b.p99.toFixed(1)} ms)${a.errors ? ` · Pharos: ${a.errors}` : ''}${b.errors ? ` · nginx: ${b.errors}` : ''}`,
        target && connections === 1000 ? 'p99 < 50 ms' : '',
      ]);
    };
    for (const [i, workers] of WORKERS.entries()) {
      if (i > 0) {
        // One server per data folder: the next configuration replaces the last.
        await pharos.stop();
        pharos = await startProduction(dataDir, { WEB_CONCURRENCY: String(workers) });
        await copyBytes();
        await sameBytes();
      }
      who = workers === 1 ? 'Pharos (1 process)' : `Pharos (WEB_CONCURRENCY=${workers})`;
      for (const path of PATHS) {
        for (const connections of [100, 1000]) pair(path, 'plain', connections, [], true);
        for (const connections of [100, 1000]) pair(path, 'brotli', connections, ['Accept-Encoding: br'], true);
        pair(path, 'gzip', 100, ['Accept-Encoding: gzip'], false);
        // 304s: each server's own ETag for its plain form.
        const a = wrk(`${pharos.url}${path}`, 100, DURATION, [`If-None-Match: ${(await raw(`${pharos.url}${path}`)).etag}`]);
        const b = wrk(`${nginxUrl}${path}`, 100, DURATION, [`If-None-Match: ${(await raw(`${nginxUrl}${path}`)).etag}`]);
        rows.push([
          `${path} · 304 · 100 conn · ${who} / nginx req/s`,
          `${Math.round(a.rps)} / ${Math.round(b.rps)} (${((100 * a.rps) / b.rps).toFixed(0)} %)`,
          '',
        ]);
      }
    }
    // The bare server below is one process: it is compared with one Pharos process.
    if (WORKERS.at(-1) !== 1) {
      await pharos.stop();
      pharos = await startProduction(dataDir, { WEB_CONCURRENCY: '1' });
    }
    // What one Node process does with no logic at all, in the same run: the ceiling for a single process.
    const barePort = await freePort();
    const bare = fork(join(projectRoot(), 'scripts/bench/bare-node.ts'), [join(www, 'index.html'), 'text/html', String(barePort)], {
      execArgv: ['--import', 'tsx'],
    });
    await new Promise((resolve) => bare.once('message', resolve));
    try {
      for (const connections of [100, 1000]) {
        const a = wrk(`${pharos.url}/`, connections, DURATION);
        const b = wrk(`http://127.0.0.1:${barePort}/`, connections, DURATION);
        rows.push([
          `/ · plain · ${connections} conn · Pharos / bare node:http (same bytes, no logic) req/s, p99`,
          `${Math.round(a.rps)} / ${Math.round(b.rps)} (${((100 * a.rps) / b.rps).toFixed(0)} %), ${a.p99.toFixed(1)} / ${b.p99.toFixed(1)} ms${b.errors ? ` · bare: ${b.errors}` : ''}`,
          '',
        ]);
      }
    } finally {
      bare.kill('SIGKILL');
    }
    report('http: the status page and summary.json against nginx serving the same bytes', 'npm run bench:http', rows, [
      `Seeded page: ${SEEDED_PAGE}. Bodies: ${sizes.join('; ')}. wrk -t2, ${DURATION} s per run, Pharos (production build; one process, then with WEB_CONCURRENCY HTTP workers: ${WORKERS.join(', ')}) and nginx (worker_processes auto, the same files precompressed) in turn on the same 2 cores as wrk. The rebuild is timed in-process on the same data, after 5 warm-up rounds.`,
    ]);
  } finally {
    nginx?.kill('SIGTERM');
    await pharos.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
