import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, sleep } from './process.js';

const run = promisify(execFile);

/**
 * A real Prometheus Alertmanager (Debian's prometheus-alertmanager) on a loopback port, its only
 * receiver a webhook to `url` with `Authorization: Bearer <key>`, grouping by alertname and
 * notifying within a second; alerts are fired and ended with amtool, as an operator would.
 */
export class TestAlertmanager {
  private child: ChildProcess | undefined;
  private dir = '';
  port = 0;
  output = '';

  async start(url: string, key: string): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'pharos-am-'));
    this.port = await freePort();
    writeFileSync(
      join(this.dir, 'alertmanager.yml'),
      [
        'route:',
        '  receiver: pharos',
        "  group_by: ['alertname']",
        '  group_wait: 1s',
        '  group_interval: 1s',
        '  repeat_interval: 1h',
        'receivers:',
        '  - name: pharos',
        '    webhook_configs:',
        `      - url: '${url}'`,
        '        send_resolved: true',
        '        http_config:',
        '          authorization:',
        `            credentials: '${key}'`,
        '',
      ].join('\n'),
    );
    const child = spawn(
      'prometheus-alertmanager',
      [
        `--config.file=${join(this.dir, 'alertmanager.yml')}`,
        `--storage.path=${join(this.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${this.port}`,
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`${this.url}/-/ready`)).ok) return;
      } catch {
        // not up yet
      }
      await sleep(100);
    }
    throw new Error(`Alertmanager did not start:\n${this.output}`);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** `amtool alert add`: labels as name=value, annotations, and an end time to resolve it. */
  async fire(labels: Record<string, string>, annotations: Record<string, string> = {}, end?: Date): Promise<void> {
    await run('amtool', [
      `--alertmanager.url=${this.url}`,
      'alert',
      'add',
      ...Object.entries(labels).map(([k, v]) => `${k}=${v}`),
      ...Object.entries(annotations).map(([k, v]) => `--annotation=${k}=${v}`),
      ...(end ? [`--end=${end.toISOString()}`] : []),
    ]);
  }

  /** Ends a firing alert now (amtool with an end time in the past, as `amtool alert add … --end` does). */
  resolve(labels: Record<string, string>, annotations: Record<string, string> = {}): Promise<void> {
    return this.fire(labels, annotations, new Date(Date.now() - 1000));
  }

  /** A counter from Alertmanager's own metrics, summed over its series. */
  async metric(name: string): Promise<number> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith(name) && !l.startsWith('#'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
