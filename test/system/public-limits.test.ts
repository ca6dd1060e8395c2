import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { io as connect } from 'socket.io-client';
import request from 'supertest';
import { importCsv } from '../../server/domain/subscribers/import-export.js';
import { manageToken } from '../../server/domain/subscribers/tokens.js';
import { startPharos, type TestPharos } from '../helpers/pharos.js';

const system = { type: 'system' } as const;

/** Resolves with 'connected' or the connect_error message of a new live viewer. */
function tryConnect(url: string): Promise<{ outcome: string; close: () => void }> {
  const socket = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false });
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ outcome: 'connected', close: () => socket.close() }));
    // A handshake refused by the server (engine.io answers 400) says so in the transport's error.
    socket.once('connect_error', (err: Error & { description?: { message?: string } }) =>
      resolve({ outcome: err.description?.message ?? err.message, close: () => socket.close() }),
    );
  });
}

describe('limits on what the public can do', () => {
  let p: TestPharos;
  before(async () => {
    p = await startPharos({ listen: true, env: { LIVE_MAX_PER_ADDRESS: '3', TRUST_PROXY: 'loopback' } });
  });
  after(() => p.close());

  it('holds at most LIVE_MAX_PER_ADDRESS live connections from one network, and frees a place when one closes', async () => {
    const held = await Promise.all([1, 2, 3].map(() => tryConnect(p.url)));
    assert.deepEqual(
      held.map((h) => h.outcome),
      ['connected', 'connected', 'connected'],
    );
    const fourth = await tryConnect(p.url);
    // Refused at the Engine.IO handshake, before any websocket is opened.
    assert.equal(fourth.outcome, 'Unexpected server response: 400');
    fourth.close();
    held[0]?.close();
    await new Promise((r) => setTimeout(r, 100));
    const again = await tryConnect(p.url);
    assert.equal(again.outcome, 'connected');
    again.close();
    for (const h of held) h.close();
  });

  it('answers 429 to a network that keeps presenting wrong subscriber-link tokens, and only to it', async () => {
    importCsv(p.ctx, system, 'email\nreader@example.com', true);
    const sub = p.ctx.db.prepare("SELECT id, token_version FROM subscribers WHERE email = 'reader@example.com'").get() as { id: string; token_version: number };
    const id = sub.id;
    const guesser = '203.0.113.7';
    for (let i = 0; i < 30; i++) {
      await request(p.app).post(`/unsubscribe/guess${i}`).set('X-Forwarded-For', guesser).expect(404);
    }
    const stopped = await request(p.app).get('/subscriptions/manage/guess-again').set('X-Forwarded-For', guesser);
    assert.equal(stopped.status, 429);
    assert.match(stopped.text, /Too many invalid links from your network/);
    // Someone else (a mail provider's one-click unsubscribe) is not affected, however many come from one address.
    const token = manageToken(p.ctx.secret, sub);
    await request(p.app).post(`/unsubscribe/${token}`).set('X-Forwarded-For', '198.51.100.1').expect(200);
    assert.equal(p.ctx.db.prepare('SELECT state FROM subscribers WHERE id = ?').pluck().get(id), 'unsubscribed');
  });

  it('answers 429 to a valid manage link used for more than 20 changes in 10 minutes', async () => {
    importCsv(p.ctx, system, 'email\nbusy@example.com', true);
    const sub = p.ctx.db.prepare("SELECT id, token_version FROM subscribers WHERE email = 'busy@example.com'").get() as { id: string; token_version: number };
    const token = manageToken(p.ctx.secret, sub);
    for (let i = 0; i < 20; i++) await request(p.app).post(`/subscriptions/manage/${token}`).type('form').send({ scope: 'all' }).expect(200);
    const refused = await request(p.app).post(`/subscriptions/manage/${token}`).type('form').send({ scope: 'all' });
    assert.equal(refused.status, 429);
    p.clock.advance(11 * 60_000);
    await request(p.app).post(`/subscriptions/manage/${token}`).type('form').send({ scope: 'all' }).expect(200);
  });
});
