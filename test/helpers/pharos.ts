import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../server/http/app.js';
import { loadConfig } from '../../server/config.js';
import { type AlarmClock, type Context } from '../../server/context.js';
import { createContext, systemClock, wire } from '../../server/compose.js';
import { createApiKey } from '../../server/domain/access/api-keys.js';
import { createUser, type Role } from '../../server/domain/access/users.js';
import { createLog } from '../../server/log.js';
import { startServer, type Running } from '../../server/http/server.js';
import type { StaticMirror } from '../../server/snapshot/static-mirror.js';

/**
 * A clock tests move by hand. What is scheduled on it (clock.after) fires when the clock is moved past
 * its time, in time order; what is due at once fires on the next turn of the event loop.
 */
export class FakeClock implements AlarmClock {
  private t: number;
  private timers: { at: number; fn: () => void }[] = [];
  constructor(start = '2026-11-30T10:00:00.000Z') {
    this.t = Date.parse(start);
  }
  now(): Date {
    return new Date(this.t);
  }
  after(ms: number, fn: () => void): () => void {
    if (ms <= 0) {
      const immediate = setImmediate(fn);
      return () => clearImmediate(immediate);
    }
    const timer = { at: this.t + ms, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }
  /** How many scheduled calls wait (for tests that check nothing piles up). */
  pending(): number {
    return this.timers.length;
  }
  advance(ms: number): void {
    this.t += ms;
    this.fire();
  }
  set(iso: string): void {
    this.t = Date.parse(iso);
    this.fire();
  }
  private fire(): void {
    const due = this.timers.filter((t) => t.at <= this.t).sort((a, b) => a.at - b.at);
    this.timers = this.timers.filter((t) => t.at > this.t);
    for (const t of due) t.fn();
  }
}

export interface TestPharos {
  ctx: Context;
  app: Express;
  clock: FakeClock;
  dataDir: string;
  /** Set when started with listen: true. */
  url: string;
  running: Running | undefined;
  /** Starts the HTTP + socket.io server (on `port`, or a free one) and wires its live viewers. */
  listen(port?: number): Promise<void>;
  /** Stops the server (the process stays: its database, worker and snapshot go on). */
  stopServer(): Promise<void>;
  /** Adds the static mirror to what is wired (compose.ts's wire()). */
  mirror(mirror: StaticMirror): void;
  close(): Promise<void>;
}

/** A whole Pharos on a temporary DATA_DIR with a real SQLite file; optionally listening on a loopback port. */
export async function startPharos(opts: { env?: Record<string, string>; listen?: boolean; clock?: FakeClock } = {}): Promise<TestPharos> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pharos-test-'));
  const clock = opts.clock ?? new FakeClock();
  // The per-key budgets count real requests against a clock that tests stop: only the rate-limit test sets them.
  const config = loadConfig({
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    PAGE_NAME: 'Acme Status',
    API_RATE_LIMIT: '1000000',
    ALERT_RATE_LIMIT: '1000000',
    ...opts.env,
  });
  const ctx = createContext(config, { clock, log: createLog('silent') });
  const app = createApp(ctx);
  ctx.mail.start();
  ctx.hooks.start();
  // Wired as main.ts wires a process: what is there (the server's live hub, a mirror) is connected.
  let staticMirror: StaticMirror | undefined;
  let unwire = wire(ctx);
  const rewire = () => {
    unwire();
    unwire = wire(ctx, {
      ...(pharos.running ? { live: pharos.running.live, admin: pharos.running.admin } : {}),
      ...(staticMirror ? { mirror: staticMirror } : {}),
    });
  };
  const pharos: TestPharos = {
    ctx,
    app,
    clock,
    dataDir,
    url: '',
    running: undefined,
    listen: async (port = 0) => {
      pharos.running = await startServer(ctx, port, '127.0.0.1');
      rewire();
    },
    stopServer: async () => {
      const running = pharos.running;
      pharos.running = undefined;
      rewire();
      await running?.close();
    },
    mirror: (mirror) => {
      staticMirror = mirror;
      rewire();
    },
    close: async () => {
      await pharos.running?.close();
      unwire();
      await Promise.all([ctx.mail.stop(), ctx.hooks.stop()]);
      await staticMirror?.stop();
      ctx.db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  if (opts.listen) {
    await pharos.listen();
    pharos.url = `http://127.0.0.1:${pharos.running?.port ?? 0}`;
    ctx.config.publicUrl = pharos.url;
  }
  return pharos;
}

export const PASSWORD = 'correct horse battery staple';

export async function addUser(p: TestPharos, email: string, role: Role = 'admin'): Promise<void> {
  await createUser(p.ctx, { type: 'system' }, { email, password: PASSWORD, role, name: email.split('@')[0] });
}

export function addApiKey(p: TestPharos, name = 'automation'): string {
  return createApiKey(p.ctx, { type: 'system' }, { name }).key;
}

/** The CSRF token in a page's form. */
export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m?.[1]) throw new Error('no CSRF token in page');
  return m[1];
}

export type Agent = ReturnType<typeof request.agent>;

/** Signs in through the real login form, as a browser does; returns the agent holding the session cookie. */
export async function signIn(p: TestPharos, email: string, password = PASSWORD): Promise<Agent> {
  const agent = request.agent(p.app);
  const page = await agent.get('/admin/login').expect(200);
  await agent
    .post('/admin/login')
    .type('form')
    .send({ _csrf: csrfOf(page.text), email, password, next: '/admin' })
    .expect(303)
    .expect('Location', '/admin');
  return agent;
}

/**
 * Moves the fake clock on by `ms` as operators who keep working see it: each agent makes a request at
 * least every 20 minutes, so that its session (30 minutes idle at most) stays alive.
 */
export async function advanceActive(p: TestPharos, agents: Agent[], ms: number): Promise<void> {
  const STEP = 20 * 60_000;
  for (let left = ms; left > 0; left -= STEP) {
    p.clock.advance(Math.min(left, STEP));
    for (const agent of agents) await agent.get('/admin/account').expect(200);
  }
}

/**
 * Confirms a subscription as a person does: the link (a GET) shows a button, which posts to it. `path`:
 * the link's path. Resolves with the answer to the POST.
 */
export async function confirmByLink(app: Express, path: string) {
  const page = await request(app).get(path).expect(200);
  if (!page.text.includes(`action="${path}"`)) throw new Error(`no confirmation button on ${path}: ${page.text.slice(0, 300)}`);
  return request(app).post(path);
}

/** Types the password again (as the "Confirm it is you" page asks), so lists of personal data open for 10 minutes. */
export async function confirmAccess(agent: Agent, password = PASSWORD): Promise<void> {
  const page = await agent.get('/admin/account').expect(200);
  await agent
    .post('/admin/confirm')
    .type('form')
    .send({ _csrf: csrfOf(page.text), confirm_password: password, next: '/admin' })
    .expect(303);
}

/** Fetches a form page, then posts to `action` with its CSRF token. */
export async function submit(agent: Agent, formPage: string, action: string, fields: Record<string, string | string[]>) {
  const page = await agent.get(formPage).expect(200);
  return agent
    .post(action)
    .type('form')
    .send({ _csrf: csrfOf(page.text), ...fields });
}

/**
 * Wakes the mail worker and lets it drain, with a moment for SMTP replies to come back, so that
 * "nothing more arrived" afterwards means something.
 */
export async function settleMail(p: TestPharos): Promise<void> {
  p.ctx.mail.wake();
  await p.ctx.mail.idle();
  await new Promise((r) => setTimeout(r, 150));
  await p.ctx.mail.idle();
}

/** For browser tests: the real clock (a browser's own timers and the server's must agree). */
export function systemClockPharos(): { clock: FakeClock } {
  const clock = new FakeClock(new Date().toISOString());
  clock.now = () => new Date();
  clock.after = (ms, fn) => systemClock.after(ms, fn);
  return { clock };
}
