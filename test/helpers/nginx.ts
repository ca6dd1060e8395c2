import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../server/lib/paths.js';
import { freePort } from './process.js';

export interface Nginx {
  base: string;
  stop(): void;
}

/**
 * Debian's nginx with the configuration the docs give (docs/nginx/pharos.conf), in front of a Pharos on
 * `pharosPort`, serving `staticDir` (DATA_DIR/static, readable by nginx's workers) when Pharos does not answer.
 */
export async function startNginx(pharosPort: number, staticDir: string): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'pharos-nginx-'));
  const port = await freePort();
  const site = readFileSync(join(projectRoot(), 'docs', 'nginx', 'pharos.conf'), 'utf8')
    .replace('server 127.0.0.1:3000;', `server 127.0.0.1:${pharosPort};`)
    .replace('listen 80;', `listen 127.0.0.1:${port};`)
    .replace('root /var/lib/pharos/data/static;', `root ${staticDir};`);
  if (!site.includes(staticDir) || !site.includes(`127.0.0.1:${port}`)) throw new Error('docs/nginx/pharos.conf lacks the lines to adjust');
  writeFileSync(
    join(dir, 'nginx.conf'),
    `pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 256; }
http { include /etc/nginx/mime.types; access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  ${site} }
`,
  );
  const nginx: ChildProcess = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  nginx.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  const stop = () => {
    nginx.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  const end = Date.now() + 5000;
  for (;;) {
    if (nginx.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
    try {
      await fetch(`${base}/healthz`);
      return { base, stop };
    } catch {
      if (Date.now() > end) {
        stop();
        throw new Error(`nginx did not answer: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
