import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { Redis } from 'ioredis';
import { createContext } from '../../server/compose.js';
import { loadConfig } from '../../server/config.js';
import { createComponent } from '../../server/domain/page/components.js';
import { createLog } from '../../server/log.js';
import { freePort, PharosProcess, sleep } from './process.js';
import { TestRedis } from './redis.js';
import { runTs } from './spawn.js';

/** What the primary and its edges share in these tests (REPLICATION_SECRET). */
export const SECRET = 'a replication secret for the edge tests, long enough';

export type Encoding = 'identity' | 'br' | 'gzip';
export const ENCODINGS: Encoding[] = ['identity', 'br', 'gzip'];

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as it came over the wire. */
  raw: Buffer;
  /** The body decompressed by its Content-Encoding, as a browser shows it. */
  bytes: Buffer;
}

/** A GET as a browser sends it (Accept-Encoding), its body decompressed here rather than by fetch. */
export function getRaw(base: string, path: string, encoding: Encoding, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(base + path, { headers: { 'Accept-Encoding': encoding, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const coding = res.headers['content-encoding'];
        const bytes = coding === 'br' ? brotliDecompressSync(raw) : coding === 'gzip' ? gunzipSync(raw) : raw;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, raw, bytes });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Retries `check` until it passes or `ms` have gone by (then throws its last failure). */
export async function eventually(check: () => Promise<void> | void, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > until) throw err;
      await sleep(50);
    }
  }
}

/** Runs `check` again and again for `ms`: it must pass every time (what must never be seen, is not). */
export async function holds(check: () => Promise<void> | void, ms = 1500): Promise<void> {
  const until = Date.now() + ms;
  do {
    await check();
    await sleep(50);
  } while (Date.now() < until);
}

/**
 * A primary of a seeded page (one component, an API key) publishing to a real redis-server, and edges
 * started on demand, all real processes on 127.0.0.1. `redisUrl` gives each role its own Redis user.
 */
export class EdgeCluster {
  readonly redis = new TestRedis();
  client!: Redis;
  root = '';
  dataDir = '';
  pageId = '';
  key = '';
  componentId = '';
  primary!: PharosProcess;
  primaryBase = '';
  primaryEnv: Record<string, string> = {};
  private readonly processes: PharosProcess[] = [];

  async startRedis(): Promise<void> {
    await this.redis.start();
    this.client = this.redis.client();
  }

  async startPrimary(env: Record<string, string> = {}): Promise<void> {
    this.root = mkdtempSync(join(tmpdir(), 'pharos-edge-cluster-'));
    this.dataDir = join(this.root, 'primary');
    const seed = createContext(loadConfig({ DATA_DIR: this.dataDir, LOG_LEVEL: 'silent' }), { log: createLog('silent') });
    this.componentId = createComponent(seed, { type: 'system' }, { name: 'API' }).id;
    this.pageId = seed.pageId;
    seed.db.close();
    this.key = (await runTs('scripts/apikey-create.ts', ['--name', 'edge test'], { DATA_DIR: this.dataDir })).stdout.trim().split('\n').pop() ?? '';
    const port = await freePort();
    this.primaryBase = `http://127.0.0.1:${port}`;
    this.primaryEnv = {
      DATA_DIR: this.dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: this.redis.url,
      REPLICATION_SECRET: SECRET,
      TRUST_PROXY: 'loopback',
      LOG_LEVEL: 'info',
      ...env,
    };
    await this.restartPrimary();
  }

  /** (Re)starts the primary on its data folder: a new run, as after a deploy. */
  async restartPrimary(): Promise<void> {
    if (this.primary?.alive) await this.primary.kill('SIGTERM');
    this.primary = new PharosProcess(this.primaryEnv);
    this.processes.push(this.primary);
    await this.primary.ready(`${this.primaryBase}/readyz`, 30_000);
  }

  async startEdge(env: Record<string, string> = {}, ready = true): Promise<{ edge: PharosProcess; base: string }> {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const edge = new PharosProcess({
      PHAROS_ROLE: 'edge',
      REDIS_URL: this.redis.url,
      REPLICATION_SECRET: SECRET,
      PRIMARY_URL: this.primaryBase,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...env,
    });
    this.processes.push(edge);
    await edge.ready(`${base}${ready ? '/readyz' : '/healthz'}`, 30_000);
    return { edge, base };
  }

  /** A v1 API call on the primary. */
  async api(method: string, path: string, incident: Record<string, unknown>): Promise<Record<string, unknown>> {
    const res = await fetch(`${this.primaryBase}/api/v1/pages/${this.pageId}${path}`, {
      method,
      headers: { Authorization: `OAuth ${this.key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ incident }),
    });
    assert.ok(res.status < 300, `${method} ${path}: ${res.status}`);
    return (await res.json()) as Record<string, unknown>;
  }

  /** The edge serves `paths` as the primary does, in every encoding, decompressed byte for byte, with the same ETags and types. */
  async servesThePrimarysPage(base: string, paths: string[]): Promise<void> {
    for (const path of paths) {
      for (const encoding of ENCODINGS) {
        const [want, got] = await Promise.all([getRaw(this.primaryBase, path, encoding), getRaw(base, path, encoding)]);
        assert.equal(got.status, 200, `${path} ${encoding}`);
        assert.equal(got.headers.etag, want.headers.etag, `${path} ${encoding}`);
        assert.equal(got.headers['content-encoding'], want.headers['content-encoding'], `${path} ${encoding}`);
        assert.equal(got.headers['content-type'], want.headers['content-type'], `${path} ${encoding}`);
        assert.ok(got.bytes.equals(want.bytes), `${path} ${encoding}: the edge's bytes are not the primary's`);
      }
    }
  }

  async close(): Promise<void> {
    for (const p of this.processes) if (p.alive) await p.kill('SIGKILL');
    this.client?.disconnect();
    await this.redis.close();
    if (this.root) rmSync(this.root, { recursive: true, force: true });
  }
}
