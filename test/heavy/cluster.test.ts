import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { io as connect } from 'socket.io-client';
import { loadConfig } from '../../server/config.js';
import { createContext } from '../../server/compose.js';
import { createComponent } from '../../server/domain/page/components.js';
import { importCsv } from '../../server/domain/subscribers/import-export.js';
import { createLog } from '../../server/log.js';
import { freePort, PharosProcess, sleep } from '../helpers/process.js';
import { runTs } from '../helpers/spawn.js';
import { viewer } from '../helpers/viewer.js';

/**
 * WEB_CONCURRENCY=2 on real processes: a primary process (the lock, the jobs, the mail) and two HTTP
 * workers on one port. A change posted through either worker reaches the viewers of both; a killed
 * worker's viewers come back, current, and the worker is replaced; the admin's progress and the
 * password throttle span the workers; the lock covers them all.
 */

const ADMIN = 'admin@example.com';
const PASSWORD = 'a long enough password';
const system = { type: 'system' } as const;

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A request on a connection of its own (node:cluster hands connections to the workers in turn). */
function send(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? 'GET', agent: false, headers: { Connection: 'close', ...opts.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The pids of the HTTP workers, from the primary's log. */
function workerPids(p: PharosProcess): number[] {
  return [...p.log.matchAll(/"pid":(\d+),"msg":"HTTP worker started"/g)].map((m) => Number(m[1]));
}

describe('WEB_CONCURRENCY=2: one primary process and two HTTP workers', () => {
  let dataDir: string;
  let pharos: PharosProcess;
  let base = '';
  let key = '';
  let pageId = '';
  let api = '';
  const sockets: { close(): void }[] = [];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pharos-cluster-'));
    // Seeded before start: a component, and subscribers for the admin's progress to count.
    const seed = createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), { log: createLog('silent') });
    api = createComponent(seed, system, { name: 'API' }).id;
    importCsv(seed, system, Array.from({ length: 40 }, (_, i) => `reader${i}@example.com`).join('\n'), true);
    pageId = seed.pageId;
    seed.db.close();
    const made = await runTs('scripts/apikey-create.ts', ['--name', 'cluster test'], { DATA_DIR: dataDir });
    key = made.stdout.trim().split('\n').pop() ?? '';
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    pharos = new PharosProcess({
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: base,
      WEB_CONCURRENCY: '2',
      // Connections dealt to both workers in turn, so that killing one drops some of the viewers: each
      // worker accepting for itself (the default) may take all eight while the other sleeps.
      NODE_CLUSTER_SCHED_POLICY: 'rr',
      LOG_LEVEL: 'info',
      ADMIN_EMAIL: ADMIN,
      ADMIN_PASSWORD: PASSWORD,
    });
    await pharos.ready(`${base}/healthz`, 30_000);
    for (let i = 0; i < 40 && workerPids(pharos).length < 2; i++) await sleep(100);
  });
  after(async () => {
    for (const s of sockets) s.close();
    if (pharos?.alive) await pharos.kill('SIGKILL');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const post = (incident: Record<string, unknown>, path = '/incidents', method = 'POST') =>
    send(`${base}/api/v1/pages/${pageId}${path}`, {
      method,
      headers: { Authorization: `OAuth ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ incident }),
    });

  it('runs two HTTP workers under the primary', async () => {
    assert.equal(workerPids(pharos).length, 2, pharos.log);
    // The primary says so once every worker listens; the line may reach the test's pipe a moment later.
    for (let i = 0; i < 100 && !/with 2 HTTP workers/.test(pharos.log); i++) await sleep(50);
    assert.match(pharos.log, /with 2 HTTP workers/);
  });

  it('sends a change posted through either worker to the viewers of both, within a second', { timeout: 60_000 }, async () => {
    const viewers = Array.from({ length: 8 }, () => viewer(base, ['websocket']));
    sockets.push(...viewers.map((v) => v.socket));
    await Promise.all(viewers.map((v) => v.next(() => true, 10_000)));
    // Four posts, each on its own connection: the workers take them in turn.
    let id = '';
    for (let i = 0; i < 4; i++) {
      const answer =
        i === 0
          ? await post({ name: 'Cluster incident', status: 'investigating', components: { [api]: 'major_outage' } })
          : await post({ body: `Update ${i}` }, `/incidents/${id}`, 'PATCH');
      assert.ok(answer.status === 201 || answer.status === 200, answer.body);
      if (i === 0) id = (JSON.parse(answer.body) as { id: string }).id;
      const text = i === 0 ? 'Cluster incident' : `Update ${i}`;
      await Promise.all(viewers.map((v) => v.next((u) => u.html.incidents.includes(text), 1000)));
    }
  });

  it(
    'takes live viewers over websockets only: a long-polling handshake is refused, a client that tries it then websockets is live',
    { timeout: 30_000 },
    async () => {
      const refused = await send(`${base}/socket.io/?EIO=4&transport=polling`);
      assert.equal(refused.status, 400);
      assert.match(refused.body, /Transport unknown/);
      // Polling first on purpose (the page's script asks for a websocket first).
      const socket = connect(base, {
        transports: ['polling', 'websocket'],
        tryAllTransports: true,
        forceNew: true,
        reconnection: false,
        auth: { v: 2, hashes: {} },
      });
      sockets.push(socket);
      const got = await new Promise<{ incidents: string }>((resolve, reject) => {
        socket.once('page', (update: { html: { incidents: string } }) => resolve(update.html));
        setTimeout(() => reject(new Error('no state over the fallback within 10 s')), 10_000);
      });
      assert.match(got.incidents, /Cluster incident/);
      assert.equal(socket.io.engine.transport.name, 'websocket');
    },
  );

  it("brings a killed worker's viewers back, current, and replaces the worker", { timeout: 60_000 }, async () => {
    const viewers = Array.from({ length: 8 }, () => viewer(base, ['websocket']));
    sockets.push(...viewers.map((v) => v.socket));
    await Promise.all(viewers.map((v) => v.next(() => true, 10_000)));
    let dropped = 0;
    for (const v of viewers) v.socket.once('disconnect', () => dropped++);
    const [victim] = workerPids(pharos);
    assert.ok(victim);
    // Killed while the primary is relaying changes and the mail's progress to every worker: a message
    // to the dying worker fails (EPIPE), which once ended the primary and every worker with it.
    const busy = Array.from({ length: 6 }, (_, i) => post({ name: `While a worker dies ${i}`, status: 'investigating', body: 'Forty readers.' }));
    await sleep(30);
    process.kill(victim, 'SIGKILL');
    // A request handed to the worker as it died is lost with it (reset, or left to the client's timeout).
    await Promise.race([Promise.allSettled(busy), sleep(5000)]);
    for (let i = 0; i < 100 && workerPids(pharos).length < 3; i++) await sleep(100);
    assert.ok(pharos.alive, `the primary died with the worker:\n${pharos.log.slice(-4000)}`);
    assert.equal(workerPids(pharos).length, 3, `a new worker started\n${pharos.log.slice(-4000)}`);
    assert.match(pharos.log, /HTTP worker died; starting another/);
    assert.ok(dropped > 0 && dropped < viewers.length, `${dropped} of ${viewers.length} viewers were on the killed worker`);
    // A change made now reaches every viewer, those that came back included.
    const answer = await post({ name: 'After a worker died', status: 'investigating' });
    assert.equal(answer.status, 201, answer.body);
    await Promise.all(viewers.map((v) => v.next((u) => u.html.incidents.includes('After a worker died'), 10_000)));
    assert.ok(viewers.every((v) => v.socket.connected));
  });

  it("gives the admin's delivery progress to an operator on any worker", { timeout: 60_000 }, async () => {
    const page = await send(`${base}/admin/login`);
    const anon = String(page.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const signedIn = await send(`${base}/admin/login`, {
      method: 'POST',
      headers: { Cookie: anon, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, email: ADMIN, password: PASSWORD }).toString(),
    });
    assert.equal(signedIn.status, 303, signedIn.body);
    const cookie = ((signedIn.headers['set-cookie'] as string[] | undefined) ?? []).find((c) => c.startsWith('pharos_session='))?.split(';')[0] ?? '';
    // Two operators' pages, likely on both workers.
    const seen: string[][] = [[], []];
    for (const list of seen) {
      const socket = connect(base, { path: '/admin/live/', transports: ['websocket'], extraHeaders: { Cookie: cookie }, forceNew: true });
      sockets.push(socket);
      socket.on('delivery.progress', (m: { source: string }) => list.push(m.source));
      await new Promise<void>((resolve, reject) => {
        socket.on('connect', () => resolve());
        socket.on('connect_error', reject);
      });
    }
    const answer = await post({ name: 'Mail for everyone', status: 'investigating', body: 'Forty readers.' });
    assert.equal(answer.status, 201, answer.body);
    for (let i = 0; i < 100 && seen.some((l) => l.length === 0); i++) await sleep(100);
    assert.ok(
      seen.every((l) => l.length > 0),
      'both operators were told',
    );
  });

  it('throttles password guesses across the workers: 30 at once, at most 5 checked', { timeout: 60_000 }, async () => {
    const forms = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const page = await send(`${base}/admin/login`);
        return { cookie: String(page.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '', csrf: /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '' };
      }),
    );
    const answers = await Promise.all(
      forms.map((f, i) =>
        send(`${base}/admin/login`, {
          method: 'POST',
          headers: { Cookie: f.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ _csrf: f.csrf, email: 'target@example.com', password: `guess ${i}` }).toString(),
        }),
      ),
    );
    const checked = answers.filter((a) => a.status !== 429).length;
    assert.ok(checked <= 5, `${checked} checked: ${answers.map((a) => a.status).join(' ')}`);
  });

  it('holds the data folder for the whole cluster, and gives it back at SIGTERM', { timeout: 60_000 }, async () => {
    const second = await runTs('server/main.ts', [], { DATA_DIR: dataDir, PORT: String(await freePort()), HOST: '127.0.0.1' });
    assert.equal(second.code, 1);
    assert.match(second.stderr, /Another Pharos server \(pid \d+\) is using/);
    const workers = workerPids(pharos);
    await pharos.kill('SIGTERM');
    assert.equal((await pharos.exited).code, 0, pharos.log);
    assert.ok(!existsSync(join(dataDir, 'pharos.pid')), 'unlocked');
    for (const pid of workers) {
      assert.throws(() => process.kill(pid, 0), 'every worker is gone');
    }
  });
});
