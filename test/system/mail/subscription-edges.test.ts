import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createComponent } from '../../../server/domain/page/components.js';
import { manageToken } from '../../../server/domain/subscribers/tokens.js';
import { findSubscriber } from '../../../server/domain/subscribers/subscribers.js';
import { projectRoot } from '../../../server/lib/paths.js';
import { confirmByLink, startPharos, type TestPharos } from '../../helpers/pharos.js';
import { runTs } from '../../helpers/spawn.js';
import { linkIn, TestSmtp } from '../../helpers/smtp.js';

const system = { type: 'system' } as const;
const path = (url: string) => new URL(url).pathname;

describe('subscription edge cases', () => {
  let smtp: TestSmtp;
  let p: TestPharos;
  let api: string;
  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
    p = await startPharos({ env: { SMTP_URL: smtp.url } });
    api = createComponent(p.ctx, system, { name: 'API' }).id;
  });
  after(async () => {
    await p.close();
    await smtp.stop();
  });

  it('a confirmation link does nothing once the address unsubscribed', async () => {
    await request(p.app).post('/subscribe').type('form').send({ email: 'undo@example.com', scope: 'all' }).expect(200);
    await smtp.until(() => smtp.to('undo@example.com').length === 1);
    const mail = smtp.to('undo@example.com')[0];
    assert.ok(mail);
    const unsubscribe = linkIn(mail, /\/unsubscribe\//);
    await request(p.app).post(path(unsubscribe)).expect(200);
    await request(p.app)
      .get(path(linkIn(mail, /\/subscriptions\/confirm\//)))
      .expect(404);
    assert.equal(p.ctx.db.prepare("SELECT state FROM subscribers WHERE email = 'undo@example.com'").pluck().get(), 'unsubscribed');

    // Subscribing again at once works: a fresh confirmation, though the last one was minutes ago.
    await request(p.app).post('/subscribe').type('form').send({ email: 'undo@example.com', scope: 'all' }).expect(200);
    await smtp.until(() => smtp.to('undo@example.com').length === 2);
    const again = smtp.to('undo@example.com')[1];
    assert.ok(again);
    assert.match((await confirmByLink(p.app, path(linkIn(again, /\/subscriptions\/confirm\//)))).text, /You are subscribed/);
  });

  it('"only these components" with none ticked is refused, not read as everything', async () => {
    const res = await request(p.app).post('/subscribe').type('form').send({ email: 'none@example.com', scope: 'some' });
    assert.equal(res.status, 422);
    assert.match(res.text, /Choose at least one component, or everything/);
    assert.equal(p.ctx.db.prepare("SELECT COUNT(*) FROM subscribers WHERE email = 'none@example.com'").pluck().get(), 0);
  });

  it('bad input on the manage page shows the page again with a message, not a broken link', async () => {
    const id = p.ctx.db.prepare("SELECT id FROM subscribers WHERE email = 'undo@example.com'").pluck().get() as string;
    const sub = findSubscriber(p.ctx.db, id);
    assert.ok(sub);
    const manage = `/subscriptions/manage/${manageToken(p.ctx.secret, sub)}`;
    const res = await request(p.app)
      .post(manage)
      .type('form')
      .send({ scope: 'some', components: ['zzz'] });
    assert.equal(res.status, 422);
    assert.match(res.text, /Choose components from the list/);
    assert.match(res.text, /undo@example\.com/);
    await request(p.app)
      .post(manage)
      .type('form')
      .send({ scope: 'some', components: [api] })
      .expect(200);
  });
});

describe('one server per database', () => {
  it('a second server on the same DATA_DIR refuses to start, naming the first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pharos-lock-'));
    const first = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: projectRoot(),
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    });
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`first server did not start: ${out}`)), 20_000);
        first.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('listening')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const second = await runTs('server/main.ts', [], { DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1' });
      assert.equal(second.code, 1);
      assert.match(second.stderr, new RegExp(`Another Pharos server \\(pid ${first.pid}\\) is using`));
    } finally {
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
    }
    // A lock left by a killed server is taken over.
    const third = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: projectRoot(),
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1' },
    });
    try {
      const started = await new Promise<boolean>((resolve) => {
        let out = '';
        const timer = setTimeout(() => resolve(false), 20_000);
        third.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('listening')) {
            clearTimeout(timer);
            resolve(true);
          }
        });
      });
      assert.ok(started);
    } finally {
      third.kill('SIGTERM');
      await new Promise((r) => third.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
