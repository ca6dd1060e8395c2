import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { addUser, csrfOf, signIn, startPharos, type Agent, type TestPharos } from '../helpers/pharos.js';

/** A real 1×1 PNG (signature, IHDR, IDAT, IEND with their CRCs). */
function png(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const byte of b) c = (crcTable[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const tail = Buffer.alloc(4);
    tail.writeUInt32BE(crc(body));
    return Buffer.concat([head, body, tail]);
  };
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.from([0, 0x1f, 0x5f, 0xbf]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Settings → Branding → Logo: uploaded, checked by its bytes, served by Pharos in the page's header. */
describe('the page logo', () => {
  let p: TestPharos;
  let admin: Agent;
  before(async () => {
    p = await startPharos();
    await addUser(p, 'admin@example.com', 'admin');
    admin = await signIn(p, 'admin@example.com');
  });
  after(() => p.close());

  const upload = async (file: Buffer, name: string) => {
    const csrf = csrfOf((await admin.get('/admin/settings').expect(200)).text);
    return admin.post('/admin/settings/logo').field('_csrf', csrf).attach('logo', file, name);
  };
  const stored = () => p.ctx.db.prepare("SELECT COUNT(*) FROM settings WHERE key = 'brand.logo'").pluck().get() as number;

  it('a PNG is shown in the header of every public page and served from /brand/logo', async () => {
    const image = png();
    const res = await upload(image, 'logo.png');
    assert.equal(res.status, 303, res.text.slice(0, 300));
    const page = (await request(p.app).get('/').expect(200)).text;
    const src = /<a class="brand" href="\/"><img src="(\/brand\/logo\?v=[\w-]+)" alt="" class="brand__logo">/.exec(page)?.[1];
    assert.ok(src, 'the header shows the logo');
    const served = await request(p.app).get(src).buffer(true).expect(200);
    assert.equal(served.headers['content-type'], 'image/png');
    assert.deepEqual(Buffer.from(served.body as Buffer), image);
    assert.match((await request(p.app).get('/history').expect(200)).text, /class="brand__logo"/);
  });

  it('refuses SVG, what is not an image, and more than 200 KB, naming the field; the logo stays as it was', async () => {
    const before = p.ctx.db.prepare("SELECT value FROM settings WHERE key = 'brand.logo'").pluck().get();
    for (const [file, name, message] of [
      [Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 'logo.svg', /SVG is not accepted/],
      [Buffer.from('GIF89a not really'), 'logo.gif', /Not a PNG, JPEG or WebP image/],
      [Buffer.concat([png(), Buffer.alloc(210 * 1024)]), 'big.png', /larger than 200 KB/],
    ] as const) {
      const res = await upload(file, name);
      assert.equal(res.status, 422, name);
      assert.match(res.text, /id="logo-error">/, name);
      assert.match(res.text, message, name);
      assert.equal(p.ctx.db.prepare("SELECT value FROM settings WHERE key = 'brand.logo'").pluck().get(), before, `${name} changed nothing`);
    }
  });

  it('can be removed; an operator cannot upload one', async () => {
    const csrf = csrfOf((await admin.get('/admin/settings').expect(200)).text);
    await admin.post('/admin/settings/logo/remove').type('form').send({ _csrf: csrf }).expect(303);
    assert.equal(stored(), 0);
    assert.doesNotMatch((await request(p.app).get('/').expect(200)).text, /brand__logo/);
    await request(p.app).get('/brand/logo').expect(404);
    await addUser(p, 'ops@example.com', 'operator');
    const ops = await signIn(p, 'ops@example.com');
    const opsCsrf = csrfOf((await ops.get('/admin').expect(200)).text);
    const res = await ops.post('/admin/settings/logo').field('_csrf', opsCsrf).attach('logo', png(), 'logo.png');
    assert.equal(res.status, 403);
    assert.equal(stored(), 0);
  });
});
