import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { projectRoot } from '../../server/lib/paths.js';

/** A free loopback port: listen on 0, note the port, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A long-running `node --import tsx server/main.ts`, keeping the tail of its output for failure messages. */
export class PharosProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private output = '';

  /** `openFiles`: the process's descriptor limit (`ulimit -n`), for tests of what happens near it. */
  constructor(env: Record<string, string>, opts: { openFiles?: number } = {}) {
    const node = [process.execPath, '--import', 'tsx', 'server/main.ts'] as const;
    const [command, args]: [string, string[]] = opts.openFiles
      ? ['bash', ['-c', `ulimit -n ${opts.openFiles} && exec "$0" "$@"`, ...node]]
      : [node[0], node.slice(1)];
    this.child = spawn(command, args, {
      cwd: projectRoot(),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', API_RATE_LIMIT: '1000000', ALERT_RATE_LIMIT: '1000000', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer) => (this.output = (this.output + d.toString()).slice(-20_000));
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get log(): string {
    return this.output;
  }

  /** Polls until the HTTP server answers. */
  async ready(url: string, ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (!this.alive) throw new Error(`Pharos exited before answering:\n${this.output}`);
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`Pharos did not answer within ${ms} ms:\n${this.output}`);
  }

  async kill(signal: NodeJS.Signals, ms = 15_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
    const outcome = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.child.kill('SIGKILL');
      await this.exited;
      throw new Error(`Pharos did not exit within ${ms} ms of ${signal}:\n${this.output}`);
    }
  }
}
