import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { projectRoot } from '../../../server/lib/paths.js';
import { addUser, signIn, startPharos, type Agent, type TestPharos, settleMail as settle } from '../../helpers/pharos.js';
import { TestSmtp, type Received } from '../../helpers/smtp.js';

const subscribe = (p: TestPharos, email: string) => request(p.app).post('/subscribe').type('form').send({ email, scope: 'all' }).expect(200);

/** A header's raw lines as sent, unfolded, without its name. */
function headerValue(r: Received, name: string): string {
  const line = r.mail.headerLines.find((h) => h.key === name.toLowerCase())?.line ?? '';
  return line.replace(/^[^:]+:\s*/, '').replace(/\r?\n[ \t]+/g, ' ');
}

/** The tags of a DKIM-Signature header (RFC 6376 §3.2), whitespace removed from the values. */
function dkimTags(value: string): Map<string, string> {
  return new Map(
    value
      .split(';')
      .map((t) => t.trim())
      .filter(Boolean)
      .map((t) => {
        const i = t.indexOf('=');
        return [t.slice(0, i).trim().toLowerCase(), t.slice(i + 1).replace(/\s+/g, '')] as [string, string];
      }),
  );
}

/**
 * Verifies an rsa-sha256, relaxed/relaxed DKIM signature (RFC 6376 §3.4.2, §3.4.4, §3.7) against a
 * public key, on the message exactly as the SMTP server received it. Returns what failed, or 'ok'.
 */
function verifyDkim(raw: string, publicKey: KeyObject): string {
  const split = raw.indexOf('\r\n\r\n');
  const headerBlock = raw.slice(0, split);
  const body = raw.slice(split + 4);
  const headers = headerBlock.split(/\r\n(?![ \t])/).map((h) => {
    const i = h.indexOf(':');
    return { name: h.slice(0, i).toLowerCase().trim(), raw: h, value: h.slice(i + 1) };
  });
  const relaxedHeader = (h: { name: string; value: string }) =>
    `${h.name}:${h.value
      .replace(/\r\n/g, '')
      .replace(/[ \t]+/g, ' ')
      .trim()}`;

  const signature = headers.find((h) => h.name === 'dkim-signature');
  if (!signature) return 'no DKIM-Signature';
  const tags = dkimTags(signature.value);
  if (tags.get('a') !== 'rsa-sha256') return `algorithm ${tags.get('a')}`;
  if (tags.get('c') !== 'relaxed/relaxed') return `canonicalization ${tags.get('c')}`;

  let canonicalBody = body
    .split('\r\n')
    .map((l) => l.replace(/[ \t]+/g, ' ').replace(/ $/, ''))
    .join('\r\n')
    .replace(/(\r\n)*$/, '');
  if (canonicalBody) canonicalBody += '\r\n';
  if (createHash('sha256').update(canonicalBody).digest('base64') !== tags.get('bh')) return 'body hash differs';

  // Each name in h= takes the next instance of that header from the bottom.
  const used = new Map<string, number>();
  const signed: string[] = [];
  for (const name of (tags.get('h') ?? '').toLowerCase().split(':')) {
    const instances = headers.filter((h) => h.name === name && h !== signature);
    const n = used.get(name) ?? 0;
    used.set(name, n + 1);
    const h = instances[instances.length - 1 - n];
    if (h) signed.push(`${relaxedHeader(h)}\r\n`);
  }
  const withoutB = { name: signature.name, value: signature.value.replace(/(\bb=)[^;]*/, '$1') };
  const data = signed.join('') + relaxedHeader(withoutB);
  return verify('sha256', Buffer.from(data), publicKey, Buffer.from(tags.get('b') ?? '', 'base64')) ? 'ok' : 'signature does not verify';
}

describe('without SMTP_URL: mail is written as .eml files, listed and shown in the admin', () => {
  let p: TestPharos;
  let admin: Agent;
  let operator: Agent;
  let mailDir: string;

  before(async () => {
    p = await startPharos();
    mailDir = join(p.dataDir, 'mail');
    await addUser(p, 'admin@acme.test', 'admin');
    await addUser(p, 'operator@acme.test', 'operator');
    admin = await signIn(p, 'admin@acme.test');
    operator = await signIn(p, 'operator@acme.test');
  });
  after(() => p.close());

  let files: string[] = [];

  it('writes each message as an .eml file in DATA_DIR/mail', async () => {
    assert.equal(p.ctx.mail.transport.kind, 'file');
    await subscribe(p, 'reader@example.com');
    await subscribe(p, 'other@example.com');
    await settle(p);
    assert.ok(existsSync(mailDir), `${mailDir} exists`);
    files = readdirSync(mailDir)
      .filter((f) => f.endsWith('.eml'))
      .sort();
    assert.equal(files.length, 2);
    const contents = files.map((f) => readFileSync(join(mailDir, f), 'utf8'));
    const reader = contents.find((c) => /^To: reader@example\.com$/m.test(c));
    assert.ok(reader, 'a file for reader@example.com');
    assert.match(reader, /^Subject: Confirm your subscription to Acme Status$/m);
    assert.match(reader, /^List-Unsubscribe:\s+<http:\/\/localhost:3000\/unsubscribe\/[^>]+>/m);
    assert.match(reader, /^Content-Type: multipart\/alternative/m);
    assert.deepEqual(p.ctx.db.prepare('SELECT DISTINCT state FROM deliveries').pluck().all(), ['sent'], 'the deliveries count as sent');
  });

  it('lists the files on the admin Mail page and shows one', async () => {
    assert.equal(files.length, 2, 'needs the files written above');
    const page = await admin.get('/admin/mail').expect(200);
    assert.match(page.text, /SMTP is not configured/);
    for (const f of files) assert.match(page.text, new RegExp(`<a href="/admin/mail/files/${f}">${f}</a>`));

    const name = files[0] ?? '';
    const shown = await admin.get(`/admin/mail/files/${name}`).expect(200);
    assert.match(shown.text, new RegExp(`<h1>${name}</h1>`));
    assert.match(shown.text, /Subject: Confirm your subscription to Acme Status/);
    assert.match(shown.text, /To: (reader|other)@example\.com/);
    // The message is shown as text, never as HTML.
    assert.doesNotMatch(shown.text, /<html[\s\S]*<html/i);
    assert.match(shown.text, /&lt;/);
  });

  it('answers 404 for a name that leaves the mail directory or is not a message file', async () => {
    // Real files just outside DATA_DIR/mail, so that a 404 means the name was refused.
    writeFileSync(join(p.dataDir, 'outside.eml'), 'Subject: secret\n\nnot for the admin page');
    for (const path of [
      '/admin/mail/files/..%2Foutside.eml',
      '/admin/mail/files/..%2Fpharos.db',
      '/admin/mail/files/..%2F..%2F..%2Fetc%2Fpasswd',
      '/admin/mail/files/%2E%2E%2Foutside.eml',
      '/admin/mail/files/..%5Coutside.eml',
      '/admin/mail/files/../outside.eml',
      '/admin/mail/files/nosuch.eml',
      '/admin/mail/files/pharos.db',
    ]) {
      const res = await admin.get(path);
      assert.equal(res.status, 404, `${path} answered ${res.status}`);
      assert.doesNotMatch(res.text, /not for the admin page|SQLite format/, `${path} shows nothing of the file`);
    }
  });

  it('is for admins only', async () => {
    assert.equal((await operator.get('/admin/mail')).status, 403);
    assert.equal((await operator.get(`/admin/mail/files/${files[0] ?? 'x.eml'}`)).status, 403);
    const anonymous = await request(p.app).get(`/admin/mail/files/${files[0] ?? 'x.eml'}`);
    assert.equal(anonymous.status, 303);
    assert.match(String(anonymous.headers.location), /^\/admin\/login/);
  });
});

describe('DKIM: the signed headers include List-Unsubscribe and List-Unsubscribe-Post', () => {
  let smtp: TestSmtp;
  let p: TestPharos;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
    p = await startPharos({
      env: { SMTP_URL: smtp.url, DKIM_DOMAIN: 'acme.test', DKIM_SELECTOR: 'pharos2026', DKIM_PRIVATE_KEY: pem, PUBLIC_URL: 'https://status.acme.test' },
    });
  });
  after(async () => {
    await p.close();
    await smtp.stop();
  });

  it('signs every message with a signature covering the RFC 8058 headers, which verifies', async () => {
    await subscribe(p, 'signed@example.com');
    await smtp.until(() => smtp.to('signed@example.com').length === 1);
    const m = smtp.to('signed@example.com')[0];
    assert.ok(m);
    assert.match(headerValue(m, 'list-unsubscribe'), /^<https:\/\/status\.acme\.test\/unsubscribe\/[^>]+>/);
    assert.equal(headerValue(m, 'list-unsubscribe-post'), 'List-Unsubscribe=One-Click');

    const signature = headerValue(m, 'dkim-signature');
    assert.ok(signature, 'a DKIM-Signature header');
    const tags = dkimTags(signature);
    assert.equal(tags.get('d'), 'acme.test');
    assert.equal(tags.get('s'), 'pharos2026');
    const signedHeaders = (tags.get('h') ?? '').toLowerCase().split(':');
    assert.ok(signedHeaders.includes('list-unsubscribe'), `h= ${tags.get('h')}`);
    assert.ok(signedHeaders.includes('list-unsubscribe-post'), `h= ${tags.get('h')}`);
    for (const h of ['from', 'subject', 'date', 'message-id', 'to']) assert.ok(signedHeaders.includes(h), `h= includes ${h}`);

    assert.equal(verifyDkim(m.raw, publicKey), 'ok');
    // The check means something: changing a signed RFC 8058 header breaks the signature.
    assert.notEqual(verifyDkim(m.raw.replace('List-Unsubscribe=One-Click', 'List-Unsubscribe=Two-Click'), publicKey), 'ok');
    assert.notEqual(verifyDkim(m.raw.replace(/(List-Unsubscribe:\s*<[^>]*\/unsubscribe\/)/, '$1x'), publicKey), 'ok');
  });
});

/** Starts the real server process and collects its output until `until` appears in stdout. */
async function startProcess(env: Record<string, string>, until: RegExp): Promise<{ out: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: projectRoot(),
    // Blank values win over a developer's ./.env (the environment has priority over it).
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', SMTP_URL: '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${until} within 20 s; stdout: ${out}\nstderr: ${err}`)), 20_000);
      const check = () => {
        if (until.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', check);
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with ${code} before ${until}; stdout: ${out}\nstderr: ${err}`));
      });
    });
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return {
    out,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('start-up of the real server', () => {
  const dirs: string[] = [];
  let smtp: TestSmtp;
  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
  });
  after(async () => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await smtp.stop();
  });
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'pharos-transport-'));
    dirs.push(d);
    return d;
  };

  it('logs that SMTP is not configured when SMTP_URL is not set, naming DATA_DIR/mail', async () => {
    const dir = tempDir();
    const running = await startProcess({ DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1' }, /SMTP is not configured/);
    const line = running.out.split('\n').find((l) => l.includes('SMTP is not configured')) ?? '';
    assert.ok(line.includes(join(dir, 'mail')), `names the mail directory: ${line}`);
    assert.equal(await running.stop(), 0);
  });

  it('says where mail goes, and nothing about SMTP missing, when SMTP_URL is set', async () => {
    const dir = tempDir();
    const running = await startProcess({ DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', SMTP_URL: smtp.url }, /mail goes through/);
    assert.doesNotMatch(running.out, /SMTP is not configured/);
    assert.match(running.out, new RegExp(`mail goes through smtp://127\\.0\\.0\\.1:${smtp.port}`));
    assert.doesNotMatch(running.out, /password|secret/i);
    assert.equal(await running.stop(), 0);
  });
});
