import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setGate } from '../../../server/domain/subscribers/gate.js';
import { importCsv } from '../../../server/domain/subscribers/import-export.js';
import { manageToken } from '../../../server/domain/subscribers/tokens.js';
import { addApiKey, startPharos, type TestPharos } from '../../helpers/pharos.js';
import { burst, statuses } from '../../helpers/burst.js';

const system = { type: 'system' } as const;
const SLOWED = /Many people are signing up right now/;

/**
 * Every limit takes its token or refuses in one step: a burst of parallel requests, each on its own
 * connection to one real process, gets exactly the limit through and not one more.
 */
describe('limits under a burst of parallel requests (one process)', () => {
  let p: TestPharos;
  before(async () => {
    p = await startPharos({
      listen: true,
      // Behind a trusted proxy (loopback): X-Forwarded-For stands for other networks where a test says so.
      env: { API_RATE_LIMIT: '60', ALERT_RATE_LIMIT: '50', TRUST_PROXY: 'loopback', MAX_CONNECTIONS_PER_ADDRESS: '1000000' },
    });
  });
  after(() => p.close());

  for (const n of [300, 1000]) {
    it(`lets exactly 30 of ${n} parallel wrong links from one address reach the token check, and refuses the rest with 429`, async () => {
      p.clock.advance(11 * 60_000);
      const answers = await burst(p.url, n, (i) => ({ method: 'POST', path: `/unsubscribe/guess-${n}-${i}` }));
      assert.deepEqual(statuses(answers), { 404: 30, 429: n - 30 });
      const refused = answers.find((a) => a.status === 429);
      assert.match(refused?.body ?? '', /Too many invalid links from your network/);
      assert.equal(refused?.headers['retry-after'], '600', 'when the first of the window frees up');
      // Another network is not affected.
      const other = await burst(p.url, 1, () => ({ method: 'POST', path: '/unsubscribe/guess-elsewhere', headers: { 'X-Forwarded-For': '198.51.100.9' } }));
      assert.equal(other[0]?.status, 404);
    });
  }

  it('lets 200 valid one-click unsubscribes sent at once from one address all through, and still 30 wrong links after', async () => {
    p.clock.advance(11 * 60_000);
    importCsv(p.ctx, system, Array.from({ length: 200 }, (_, i) => `provider${i}@example.com`).join('\n'), true);
    const subs = p.ctx.db.prepare("SELECT id, token_version FROM subscribers WHERE email LIKE 'provider%'").all() as { id: string; token_version: number }[];
    const valid = subs.map((sub) => `/unsubscribe/${manageToken(p.ctx.secret, sub)}`);
    assert.deepEqual(statuses(await burst(p.url, valid.length, (i) => ({ method: 'POST', path: valid[i] ?? '' }))), { 200: 200 });
    const answers = await burst(p.url, 100, (i) => ({ method: 'POST', path: `/unsubscribe/guess-after-${i}` }));
    assert.deepEqual(statuses(answers), { 404: 30, 429: 70 });
  });

  it('past the limit a network learns nothing from a guess: a right link is refused as a wrong one', async () => {
    p.clock.advance(11 * 60_000);
    importCsv(p.ctx, system, 'email\nguessed@example.com', true);
    const sub = p.ctx.db.prepare("SELECT id, token_version FROM subscribers WHERE email = 'guessed@example.com'").get() as {
      id: string;
      token_version: number;
    };
    const right = `/unsubscribe/${manageToken(p.ctx.secret, sub)}`;
    // Wrong links and the right one in one burst: the right one passes only if it came before the 30th wrong one.
    const answers = await burst(p.url, 61, (i) => ({ method: 'POST', path: i === 60 ? right : `/unsubscribe/guess-mixed-${i}` }));
    assert.equal(answers.filter((a) => a.status === 404).length, 30);
    const [late] = await burst(p.url, 1, () => ({ method: 'GET', path: right }));
    assert.equal(late?.status, 429, 'a right link is refused once the network is over the limit');
    assert.equal(p.ctx.db.prepare('SELECT state FROM subscribers WHERE id = ?').pluck().get(sub.id) === 'unsubscribed', answers[60]?.status === 200);
  });

  it('lets exactly 60 of 1,000 parallel API requests with one key through (API_RATE_LIMIT=60), 429 for the rest', async () => {
    const key = addApiKey(p, 'burst');
    const answers = await burst(p.url, 1000, () => ({ path: `/api/v1/pages/${p.ctx.pageId}/components`, headers: { Authorization: `OAuth ${key}` } }));
    assert.deepEqual(statuses(answers), { 200: 60, 429: 940 });
    assert.equal(answers.find((a) => a.status === 429)?.headers['retry-after'], '60');
  });

  it('lets exactly 50 of 500 parallel alert notifications with one key through (ALERT_RATE_LIMIT=50), 503 for the rest', async () => {
    const key = addApiKey(p, 'alerts');
    const alert = JSON.stringify({ version: '4', groupKey: 'g', status: 'resolved', alerts: [{ status: 'resolved', labels: { alertname: 'A' } }] });
    const answers = await burst(p.url, 500, () => ({
      method: 'POST',
      path: '/api/integrations/alertmanager',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: alert,
    }));
    assert.deepEqual(statuses(answers), { 200: 50, 503: 450 });
  });

  it('lets exactly 10 of 200 parallel sign-ups from one network through, 429 for the rest', async () => {
    p.clock.advance(11 * 60_000);
    const answers = await burst(p.url, 200, (i) => ({
      method: 'POST',
      path: '/subscribe',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Forwarded-For': '203.0.113.20' },
      body: `email=burst${i}%40example.com&scope=all`,
    }));
    assert.deepEqual(statuses(answers), { 200: 10, 429: 190 });
    assert.match(answers.find((a) => a.status === 429)?.body ?? '', /Too many sign-ups from your network/);
    assert.equal(p.ctx.db.prepare("SELECT COUNT(*) FROM subscribers WHERE email LIKE 'burst%'").pluck().get(), 10);
  });

  it("paces the mail of all but the gate's threshold of 40 parallel sign-ups from four networks", async () => {
    p.clock.advance(11 * 60_000);
    setGate(p.ctx, system, { mode: 'open', domains: '', threshold: 5, auto_mode: 'paused' });
    const answers = await burst(p.url, 40, (i) => ({
      method: 'POST',
      path: '/subscribe',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Forwarded-For': `198.51.100.${20 + (i % 4)}` },
      body: `email=paced${i}%40example.com&scope=all`,
    }));
    assert.deepEqual(statuses(answers), { 200: 40 });
    assert.equal(answers.filter((a) => !SLOWED.test(a.body)).length, 5, 'exactly the threshold mailed at once');
    setGate(p.ctx, system, { mode: 'open', domains: '', threshold: 60, auto_mode: 'paused' });
  });
});
