import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { loadConfig } from '../../../server/config.js';
import { createContext } from '../../../server/compose.js';
import { createUser } from '../../../server/domain/access/users.js';
import { importCsv } from '../../../server/domain/subscribers/import-export.js';
import { csrfOf, PASSWORD } from '../../helpers/pharos.js';
import { freePort, PharosProcess } from '../../helpers/process.js';
import { TestSmtp } from '../../helpers/smtp.js';
import { completeNotice, draftIdOf, hiddenField } from '../../helpers/notice-drafts.js';

const system = { type: 'system' } as const;

/** A draft is kept in the database: a Pharos process killed (kill -9) and started again still has it, to finish and publish. */
describe('a notice draft survives a restart', () => {
  let smtp: TestSmtp;
  let dataDir: string;
  const children: PharosProcess[] = [];

  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
    dataDir = mkdtempSync(join(tmpdir(), 'pharos-drafts-'));
    const ctx = createContext(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }));
    await createUser(ctx, system, { email: 'admin@example.com', password: PASSWORD, role: 'admin', name: 'admin' });
    importCsv(ctx, system, 'email\nreader@example.com\n', true);
    await ctx.mail.stop();
    ctx.db.close();
  });
  after(async () => {
    for (const c of children) if (c.alive) await c.kill('SIGKILL').catch(() => undefined);
    await smtp.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is there after kill -9, with its text, and publishes from the restarted process', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', SMTP_URL: smtp.url, LOG_LEVEL: 'warn', PUBLIC_URL: base };
    const start = async () => {
      const child = new PharosProcess(env);
      children.push(child);
      await child.ready(`${base}/healthz`, 60_000);
      const agent = request.agent(base);
      const login = await agent.get('/admin/login').expect(200);
      await agent
        .post('/admin/login')
        .type('form')
        .send({ _csrf: csrfOf(login.text), email: 'admin@example.com', password: PASSWORD, next: '/admin' })
        .expect(303);
      return { child, agent };
    };

    const first = await start();
    const fields = { ...completeNotice('Notice written before the crash'), contact: '' };
    const form = await first.agent.get('/admin/communications/new').expect(200);
    const saved = await first.agent
      .post('/admin/communications')
      .type('form')
      .send({ _csrf: csrfOf(form.text), _once: hiddenField(form.text, '_once'), ...fields, action: 'save' });
    assert.equal(saved.status, 303, saved.text.slice(0, 300));
    const id = draftIdOf(saved.headers.location);
    await first.child.kill('SIGKILL');

    const second = await start();
    const back = await second.agent.get(`/admin/communications/drafts/${id}`).expect(200);
    assert.match(back.text, /name="title"[^>]*value="Notice written before the crash"/);
    assert.ok(back.text.includes(`>${completeNotice('').what_happened ?? ''}</textarea>`));
    await request(base).get(`/notices/${id}`).expect(404);
    const done = await second.agent
      .post(`/admin/communications/drafts/${id}`)
      .type('form')
      .send({ _csrf: csrfOf(back.text), revision: hiddenField(back.text, 'revision'), ...fields, contact: 'dpo at acme.test', action: 'preview' });
    assert.equal(done.status, 303);
    const preview = await second.agent.get(`/admin/communications/drafts/${id}/preview`).expect(200);
    const published = await second.agent
      .post(`/admin/communications/drafts/${id}/publish`)
      .type('form')
      .send({ _csrf: csrfOf(preview.text), revision: hiddenField(preview.text, 'revision'), _once: hiddenField(preview.text, '_once') });
    assert.equal(published.status, 303, published.text.slice(0, 300));
    await request(base).get(`/notices/${id}`).expect(200);
    await smtp.until(() => smtp.to('reader@example.com').length === 1);
    assert.match(smtp.to('reader@example.com')[0]?.mail.subject ?? '', /Notice written before the crash/);
  });
});
