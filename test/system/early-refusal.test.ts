import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { addApiKey, addUser, signIn, startPharos, type TestPharos } from '../helpers/pharos.js';

/**
 * A request that cannot be authorized is refused on its headers: its body is neither waited for nor
 * read nor parsed. Each request here announces 900 KB and sends none of it; a server that waited for
 * the body would never answer (the bound below is a hang detector, not a speed measurement).
 */

interface Raw {
  status: number;
  headers: string;
  body: string;
}

function announce(port: number, lines: string[]): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const hang = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer without the body; got so far: ${JSON.stringify(data.slice(0, 200))}`));
    }, 10_000);
    socket.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      const end = data.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: (\d+)/i.exec(data)?.[1];
      if (end !== -1 && length !== undefined && data.length >= end + 4 + Number(length)) {
        clearTimeout(hang);
        socket.destroy();
        resolve({ status: Number(data.slice(9, 12)), headers: data.slice(0, end), body: data.slice(end + 4) });
      }
    });
    socket.on('error', reject);
    socket.write([...lines, 'Host: 127.0.0.1', 'Content-Length: 900000', '', ''].join('\r\n'));
  });
}

describe('refusing on the headers', () => {
  let p: TestPharos;
  let path = '';
  before(async () => {
    p = await startPharos({ listen: true });
    addApiKey(p);
    path = `/api/v1/pages/${p.ctx.pageId}/incidents`;
  });
  after(() => p.close());

  for (const [who, auth] of [
    ['a wrong key', ['Authorization: OAuth pharos_wrong-key-0123456789abcdef']],
    ['no key', []],
  ] as const) {
    it(`answers ${who} announcing a 900 KB JSON body with a 401 at once, and closes the connection`, async () => {
      const res = await announce(p.running?.port ?? 0, [`POST ${path} HTTP/1.1`, 'Content-Type: application/json', ...auth]);
      assert.equal(res.status, 401, res.headers);
      assert.match(res.headers, /\r\nconnection: close/i, 'the unread body is not waited for on a kept-alive connection');
      const error = (JSON.parse(res.body) as { error: { code: string } }).error;
      assert.equal(error.code, 'unauthorized');
    });
  }

  it('answers a wrong key in the query announcing a 900 KB form (Rails brackets) with a 401 at once', async () => {
    const res = await announce(p.running?.port ?? 0, [
      `POST ${path}.json?api_key=pharos_wrong-key-0123456789abcdef HTTP/1.1`,
      'Content-Type: application/x-www-form-urlencoded',
    ]);
    assert.equal(res.status, 401, res.headers);
    assert.match(res.headers, /\r\nconnection: close/i);
    assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'unauthorized');
  });

  it('reads no more than a small form for the anonymous sign-in and setup forms: 413 at once', async () => {
    for (const target of ['/admin/login', '/setup']) {
      const res = await announce(p.running?.port ?? 0, [`POST ${target} HTTP/1.1`, 'Content-Type: application/x-www-form-urlencoded', 'Accept: text/html']);
      assert.equal(res.status, 413, `${target}: ${res.headers}`);
      assert.match(res.body, /larger than 16 KB/);
    }
  });

  it("answers an operator's POST to an admins' page announcing a 900 KB form with a 403 at once", async () => {
    await addUser(p, 'op@example.com', 'operator');
    const agent = await signIn(p, 'op@example.com');
    const cookie = (await agent.get('/admin').expect(200)).request.cookies;
    const res = await announce(p.running?.port ?? 0, [
      'POST /admin/components HTTP/1.1',
      'Content-Type: application/x-www-form-urlencoded',
      'Accept: text/html',
      `Cookie: ${cookie}`,
    ]);
    assert.equal(res.status, 403, res.headers);
  });

  it('answers an anonymous POST to the admin announcing a 900 KB form with a 401 at once', async () => {
    for (const target of ['/admin/incidents', '/admin/subscribers/import']) {
      const res = await announce(p.running?.port ?? 0, [`POST ${target} HTTP/1.1`, 'Content-Type: application/x-www-form-urlencoded', 'Accept: text/html']);
      assert.equal(res.status, 401, `${target}: ${res.headers}`);
      assert.match(res.headers, /\r\nconnection: close/i);
    }
  });
});
