import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { addApiKey, startPharos, type TestPharos } from '../../helpers/pharos.js';
import { createComponent } from '../../../server/domain/page/components.js';
import { Receiver } from '../../helpers/receiver.js';

const system = { type: 'system' } as const;
type Sub = { id: string; mode: string; endpoint: string | null; email: string; components: string[]; signing_secret?: string; state: string };
const sub = (r: request.Response) => r.body as Sub;
const subs = (r: request.Response) => r.body as Sub[];
const fields = (r: request.Response) => (r.body as { error: { fields: Record<string, string> } }).error.fields;
const inner = (r: request.Response) => (r.body as { subscriber: Record<string, string> }).subscriber;

/** The v1 subscribers endpoints (Statuspage's shapes), and public self-subscription through the v2 API. */
describe('subscribers over the API', () => {
  let p: TestPharos;
  let key: string;
  let receiver: Receiver;
  let api: string;
  const v1 = () => `/api/v1/pages/${p.ctx.pageId}/subscribers`;
  const auth = () => ({ Authorization: `OAuth ${key}` });

  before(async () => {
    // Receivers are on loopback here; the default (private addresses refused) is the next suite's.
    p = await startPharos({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
    key = addApiKey(p);
    receiver = new Receiver();
    await receiver.start();
    api = createComponent(p.ctx, system, { name: 'API' }).id;
  });
  after(async () => {
    await receiver.stop();
    await p.close();
  });

  it('POST with an endpoint makes a webhook: 201 with its signing secret, once; GET ?type=webhook lists it without', async () => {
    const res = await request(p.app)
      .post(v1())
      .set(auth())
      .send({ subscriber: { endpoint: receiver.url('/hook'), email: 'ops@example.com', component_ids: [api] } })
      .expect(201);
    assert.equal(sub(res).mode, 'webhook');
    assert.equal(sub(res).endpoint, receiver.url('/hook'));
    assert.deepEqual(sub(res).components, [api]);
    assert.match(sub(res).signing_secret ?? '', /^whsec_[\w-]{32}$/);
    const list = await request(p.app).get(`${v1()}?type=webhook`).set(auth()).expect(200);
    assert.equal(subs(list).length, 1);
    assert.equal(subs(list)[0]?.id, sub(res).id);
    assert.equal(subs(list)[0]?.signing_secret, undefined);
    assert.equal(JSON.stringify(subs(list)).includes('whsec_'), false);
    await request(p.app)
      .get(`${v1()}/${sub(res).id}`)
      .set(auth())
      .expect(200);
    const gone = await request(p.app)
      .delete(`${v1()}/${sub(res).id}`)
      .set(auth())
      .expect(200);
    assert.equal(sub(gone).id, sub(res).id);
    await request(p.app)
      .get(`${v1()}/${sub(res).id}`)
      .set(auth())
      .expect(404);
  });

  it('POST with only an email: confirmed at once with skip_confirmation_notification, else pending; paginated', async () => {
    const made = await request(p.app)
      .post(v1())
      .set(auth())
      .send({ subscriber: { email: 'Reader@Example.com', skip_confirmation_notification: true } })
      .expect(201);
    assert.equal(sub(made).mode, 'email');
    assert.equal(sub(made).email, 'reader@example.com');
    assert.equal(sub(made).state, 'confirmed');
    const pending = await request(p.app)
      .post(v1())
      .set(auth())
      .send({ subscriber: { email: 'new@example.com' } })
      .expect(201);
    assert.equal(sub(pending).state, 'pending');
    assert.equal(p.ctx.db.prepare("SELECT COUNT(*) FROM deliveries WHERE kind = 'confirmation' AND recipient = 'new@example.com'").pluck().get(), 1);
    // Statuspage's paging: limit, and page from 0; every state with state=all (active ones only by default).
    const first = await request(p.app).get(`${v1()}?type=email&state=all&limit=1&page=0`).set(auth()).expect(200);
    const second = await request(p.app).get(`${v1()}?type=email&state=all&limit=1&page=1`).set(auth()).expect(200);
    assert.equal(subs(first).length, 1);
    assert.equal(subs(second).length, 1);
    assert.notEqual(subs(first)[0]?.id, subs(second)[0]?.id);
  });

  it('bad input: 4xx with the field named, nothing stored; no key: 401', async () => {
    const count = () => p.ctx.db.prepare('SELECT (SELECT COUNT(*) FROM endpoints) + (SELECT COUNT(*) FROM subscribers)').pluck().get();
    const before = count();
    for (const [body, field] of [
      [{ subscriber: { endpoint: 'javascript:alert(1)', email: 'ops@example.com' } }, 'subscriber.endpoint'],
      [{ subscriber: { endpoint: receiver.url(), email: 'not an address' } }, 'subscriber.email'],
      [{ subscriber: { endpoint: receiver.url(), email: 'ops@example.com', component_ids: ['nosuch'] } }, 'subscriber.component_ids'],
      [{ subscriber: { email: '' } }, 'subscriber.email'],
      [{ nothing: true }, 'subscriber'],
    ] as const) {
      const res = await request(p.app).post(v1()).set(auth()).send(body);
      assert.equal(res.status, 422, JSON.stringify(body));
      assert.ok(fields(res)[field], `${field} in ${JSON.stringify(res.body)}`);
    }
    await request(p.app).get(`${v1()}?type=fax`).set(auth()).expect(422);
    assert.deepEqual((await request(p.app).get(`${v1()}?type=sms`).set(auth()).expect(200)).body, [], 'a Statuspage type Pharos never holds');
    await request(p.app).get(v1()).expect(401);
    assert.equal(count(), before);
  });

  it('the public subscribes by email with subscriber[email], form-encoded or JSON: 202 and a confirmation, the same answer for a known address', async () => {
    const form = await request(p.app).post('/api/v2/subscribers.json').type('form').send('subscriber[email]=viewer@example.com').expect(202);
    assert.equal(form.headers['access-control-allow-origin'], '*');
    const again = await request(p.app)
      .post('/api/v2/subscribers.json')
      .send({ subscriber: { email: 'reader@example.com' } })
      .expect(202);
    assert.deepEqual(Object.keys(inner(form)).sort(), Object.keys(inner(again)).sort());
    assert.equal(p.ctx.db.prepare("SELECT state FROM subscribers WHERE email = 'viewer@example.com'").pluck().get(), 'pending');
    const bad = await request(p.app).post('/api/v2/subscribers.json').type('form').send('subscriber[email]=nope').expect(422);
    assert.ok(fields(bad)['subscriber.email']);
    await request(p.app).options('/api/v2/subscribers.json').expect(204);
  });

  it('a public webhook is stored only once its receiver echoes the challenge; an address is subscribed once', async () => {
    const count = () => p.ctx.db.prepare("SELECT COUNT(*) FROM endpoints WHERE created_by = 'public'").pluck().get();
    receiver.answer = (_n, r) => {
      const challenge = (r.body as { challenge?: string } | undefined)?.challenge;
      return r.path === '/echo' && challenge ? { status: 200, body: JSON.stringify({ challenge }) } : { status: 200 };
    };
    p.clock.advance(11 * 60_000);
    const silent = await request(p.app)
      .post('/api/v2/subscribers.json')
      .send({ subscriber: { endpoint: receiver.url('/silent'), email: 'ops@example.com' } });
    assert.equal(silent.status, 422);
    assert.match(fields(silent)['subscriber.endpoint'] ?? '', /did not echo the verification challenge/);
    assert.equal(count(), 0);
    const ok = await request(p.app)
      .post('/api/v2/subscribers.json')
      .type('form')
      .send(`subscriber[endpoint]=${encodeURIComponent(receiver.url('/echo'))}&subscriber[email]=ops%40example.com`)
      .expect(201);
    assert.match(inner(ok).signing_secret ?? '', /^whsec_/);
    const challenge = receiver.received.filter((r) => r.path === '/echo');
    assert.equal(challenge.length, 1, 'one verification request');
    assert.equal((challenge[0]?.body as { type?: string } | undefined)?.type, 'url_verification');
    assert.equal(count(), 1);
    const again = await request(p.app)
      .post('/api/v2/subscribers.json')
      .send({ subscriber: { endpoint: receiver.url('/echo'), email: 'ops@example.com' } });
    assert.equal(again.status, 422);
    assert.match(fields(again)['subscriber.endpoint'] ?? '', /subscribed already/);
    assert.equal(count(), 1);
  });
});

describe('subscribers over the API, with private addresses refused (the default)', () => {
  let p: TestPharos;
  let key: string;
  let receiver: Receiver;
  before(async () => {
    p = await startPharos();
    key = addApiKey(p);
    receiver = new Receiver();
    await receiver.start();
  });
  after(async () => {
    await receiver.stop();
    await p.close();
  });

  it('an API key may not point a webhook at a private address (an admin may); nothing is stored', async () => {
    const res = await request(p.app)
      .post(`/api/v1/pages/${p.ctx.pageId}/subscribers`)
      .set({ Authorization: `OAuth ${key}` })
      .send({ subscriber: { endpoint: receiver.url('/hook'), email: 'ops@example.com' } });
    assert.equal(res.status, 422);
    assert.match(fields(res)['subscriber.endpoint'] ?? '', /Not a public address/);
    assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM endpoints').pluck().get(), 0);
  });

  it('the public may not use another port than 80 or 443', async () => {
    const res = await request(p.app)
      .post('/api/v2/subscribers.json')
      .send({ subscriber: { endpoint: 'http://93.184.215.14:25/', email: 'ops@example.com' } });
    assert.equal(res.status, 422);
    assert.match(fields(res)['subscriber.endpoint'] ?? '', /standard port/);
  });

  it('a public webhook to a loopback, private, link-local or metadata address is refused with the field named', async () => {
    const before = p.ctx.db.prepare('SELECT COUNT(*) FROM endpoints').pluck().get();
    for (const endpoint of [
      'http://127.0.0.1/hook',
      'http://[::1]/hook',
      'http://10.0.0.8/hook',
      'http://192.168.1.1/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/',
      'http://[::ffff:127.0.0.1]/',
      'http://0.0.0.0/',
      'https://localhost/hook',
    ]) {
      // Past the network's 10 sign-ups per 10 minutes between attempts: each is refused for its address.
      p.clock.advance(11 * 60_000);
      const res = await request(p.app)
        .post('/api/v2/subscribers.json')
        .send({ subscriber: { endpoint, email: 'ops@example.com' } });
      assert.equal(res.status, 422, `${endpoint}: ${res.text}`);
      assert.match(fields(res)['subscriber.endpoint'] ?? '', /Not a public address/);
      assert.doesNotMatch(fields(res)['subscriber.endpoint'] ?? '', /resolves to [0-9:[]|127\.0\.0\.1/, 'the answer does not say what a name resolves to');
    }
    assert.equal(p.ctx.db.prepare('SELECT COUNT(*) FROM endpoints').pluck().get(), before);
    assert.equal(receiver.received.length, 0);
  });
});
