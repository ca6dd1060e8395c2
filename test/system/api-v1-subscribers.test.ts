import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createChatChannel, createWebhook } from '../../server/domain/subscribers/endpoints.js';
import { addSubscriber } from '../../server/domain/subscribers/import-export.js';
import { addApiKey, startPharos, type TestPharos } from '../helpers/pharos.js';
import { arr, exactKeys, isoTime, isoTimeOrNull, obj, type Json } from '../helpers/statuspage.js';

const system = { type: 'system' } as const;
const COMMON = ['id', 'mode', 'skip_confirmation_notification', 'quarantined_at', 'purge_at', 'components', 'state', 'created_at'];
const KEYS: Record<string, string[]> = {
  email: [...COMMON, 'email', 'endpoint'],
  webhook: [...COMMON, 'email', 'endpoint'],
  slack: [...COMMON, 'obfuscated_channel_name', 'workspace_name'],
};

/** A subscriber in Statuspage's v1 shape for its mode. */
function checkSubscriber(value: unknown, where: string): Json {
  const s = obj(value, where);
  const keys = KEYS[String(s.mode)];
  assert.ok(keys, `${where}.mode is email, webhook or slack: ${String(s.mode)}`);
  exactKeys(s, keys, where);
  isoTime(s.created_at, `${where}.created_at`);
  isoTimeOrNull(s.quarantined_at, `${where}.quarantined_at`);
  arr(s.components, `${where}.components`);
  return s;
}

/**
 * GET /api/v1/pages/:page_id/subscribers as Statuspage answers it: every type unless `type` says one,
 * active ones unless `state` says otherwise, `q`, `limit` and a 0-based `page`, `sort_field` and
 * `sort_direction`; a bad value is a 422 naming the field, and nothing is recorded.
 */
describe('v1 subscribers: the list, Statuspage’s way', () => {
  let p: TestPharos;
  let key: string;
  const ids: Record<string, string> = {};
  const list = (query: Record<string, string | readonly string[]> = {}) =>
    request(p.app).get(`/api/v1/pages/${p.ctx.pageId}/subscribers`).query(query).set('Authorization', `OAuth ${key}`);
  const listed = async (query: Record<string, string> = {}) => {
    const res = await list(query).expect(200);
    return arr(res.body, 'list').map((s, n) => checkSubscriber(s, `list[${n}]`));
  };
  const names = (rows: Json[]) => rows.map((r) => String(r.mode === 'webhook' ? r.endpoint : (r.email ?? r.obfuscated_channel_name)));
  const audits = () => p.ctx.db.prepare("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'subscribers.listed%'").pluck().get() as number;

  before(async () => {
    p = await startPharos({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
    key = addApiKey(p, 'automation');
    const later = () => p.clock.advance(60_000);
    // Made a minute apart, in this order: the order of arrival differs from the addresses' order.
    ids.carol = addSubscriber(p.ctx, system, { email: 'carol@example.com', components: [] }, true).id;
    later();
    ids.hook = (await createWebhook(p.ctx, system, { endpoint: 'https://127.0.0.1/hook', email: 'ops@example.com' }, 'admin')).endpoint.id;
    later();
    ids.alice = addSubscriber(p.ctx, system, { email: 'alice@example.com', components: [] }, true).id;
    later();
    ids.slack = (await createChatChannel(p.ctx, system, { kind: 'slack', name: '#incidents', url: 'https://127.0.0.1/slack', topics: ['incidents'] })).id;
    later();
    ids.teams = (await createChatChannel(p.ctx, system, { kind: 'teams', name: 'Ops', url: 'https://127.0.0.1/teams', topics: ['incidents'] })).id;
    later();
    ids.pending = addSubscriber(p.ctx, system, { email: 'pending_100@example.com', components: [] }, false).id;
    later();
    ids.bounced = addSubscriber(p.ctx, system, { email: 'bob@example.com', components: [] }, true).id;
    later();
    ids.gone = addSubscriber(p.ctx, system, { email: 'gone@example.com', components: [] }, true).id;
    later();
    ids.broken = (await createWebhook(p.ctx, system, { endpoint: 'https://127.0.0.2/broken', email: 'ops@example.com' }, 'admin')).endpoint.id;
    const at = (minutes: number) => new Date(p.clock.now().getTime() + minutes * 60_000).toISOString();
    p.ctx.db.prepare("UPDATE subscribers SET state = 'bounced', updated_at = ? WHERE id = ?").run(at(2), ids.bounced);
    p.ctx.db.prepare("UPDATE subscribers SET state = 'unsubscribed' WHERE id = ?").run(ids.gone);
    p.ctx.db.prepare("UPDATE endpoints SET state = 'disabled', disabled_at = ? WHERE id = ?").run(at(1), ids.broken);
  });
  after(() => p.close());

  it('lists every type without `type`: email, webhook and Slack subscribers, active ones, by their address; no other chat', async () => {
    const rows = await listed();
    assert.deepEqual(
      rows.map((r) => [r.mode, r.id]),
      [
        ['slack', ids.slack],
        ['email', ids.alice],
        ['email', ids.carol],
        ['webhook', ids.hook],
      ],
      'by the identifying field (a channel, an endpoint, an address), case-insensitively',
    );
    const slack = rows[0] ?? {};
    assert.equal(slack.workspace_name, null);
    assert.equal(slack.obfuscated_channel_name, '#in******s');
    assert.equal(JSON.stringify(rows).includes('127.0.0.1/slack'), false, "a chat channel's address is a secret, never shown");
    assert.equal(JSON.stringify(rows).includes(ids.teams ?? '-'), false, 'Teams has no Statuspage type');
    for (const [type, expected] of [
      ['email', [ids.alice, ids.carol]],
      ['webhook', [ids.hook]],
      ['slack', [ids.slack]],
      ['sms', []],
      ['integration_partner', []],
    ] as const) {
      assert.deepEqual(
        (await listed({ type })).map((r) => r.id),
        expected,
        `type=${type}`,
      );
    }
  });

  it('takes Statuspage’s states: unconfirmed, quarantined (bounced, disabled), all; never the unsubscribed', async () => {
    assert.deepEqual(
      (await listed({ state: 'unconfirmed' })).map((r) => r.id),
      [ids.pending],
    );
    const quarantined = await listed({ state: 'quarantined' });
    assert.deepEqual(
      quarantined.map((r) => r.id),
      [ids.bounced, ids.broken],
    );
    for (const r of quarantined) isoTime(r.quarantined_at, 'quarantined_at');
    const all = await listed({ state: 'all' });
    assert.equal(all.length, 7);
    assert.ok(!all.some((r) => r.id === ids.gone));
  });

  it('sorts by created_at, quarantined_at and relevance, either way', async () => {
    const arrival = [ids.carol, ids.hook, ids.alice, ids.slack, ids.pending, ids.bounced, ids.broken];
    assert.deepEqual(
      (await listed({ state: 'all', sort_field: 'created_at' })).map((r) => r.id),
      arrival,
    );
    assert.deepEqual(
      (await listed({ state: 'all', sort_field: 'created_at', sort_direction: 'desc' })).map((r) => r.id),
      [...arrival].reverse(),
    );
    // Never quarantined first, in their order of arrival; then the quarantined, the disabled webhook (a minute earlier) first.
    const byQuarantine = [ids.carol, ids.hook, ids.alice, ids.slack, ids.pending, ids.broken, ids.bounced];
    assert.deepEqual(
      (await listed({ state: 'all', sort_field: 'quarantined_at' })).map((r) => r.id),
      byQuarantine,
    );
    assert.deepEqual(
      (await listed({ state: 'all', sort_field: 'quarantined_at', sort_direction: 'desc' })).map((r) => r.id),
      [...byQuarantine].reverse(),
    );
    assert.deepEqual(names(await listed({ state: 'all', sort_direction: 'desc' })).slice(0, 3), [
      'pending_100@example.com',
      'https://127.0.0.2/broken',
      'https://127.0.0.1/hook',
    ]);
  });

  it('searches addresses and endpoints with q (not Slack, as Statuspage), literally, and ranks the best match first by relevance', async () => {
    // The webhooks' own email (ops@example.com) matches too.
    assert.deepEqual(names(await listed({ q: 'EXAMPLE.com', state: 'all' })), [
      'alice@example.com',
      'bob@example.com',
      'carol@example.com',
      'https://127.0.0.1/hook',
      'https://127.0.0.2/broken',
      'pending_100@example.com',
    ]);
    assert.deepEqual(names(await listed({ q: '127.0.0.2', state: 'all' })), ['https://127.0.0.2/broken']);
    assert.deepEqual(names(await listed({ q: 'pending_1', state: 'all' })), ['pending_100@example.com']);
    assert.deepEqual(await listed({ q: 'alice_' }), [], '_ is the character, not a wildcard');
    assert.deepEqual(await listed({ q: 'a%e' }), [], '% too');
    assert.deepEqual(await listed({ q: 'incidents' }), [], 'Slack channels are not searched');
    assert.deepEqual(names(await listed({ q: 'carol@example.com', sort_field: 'relevance' })), ['carol@example.com']);
    assert.deepEqual(
      names(await listed({ q: 'a', sort_field: 'relevance' })).slice(0, 1),
      ['alice@example.com'],
      'starting with the text before containing it',
    );
  });

  it('pages with limit and a 0-based page, across types, without a gap or a repeat', async () => {
    const whole = (await listed({ state: 'all' })).map((r) => r.id);
    const paged: unknown[] = [];
    for (let page = 0; page < 5; page++) paged.push(...(await listed({ state: 'all', limit: '2', page: String(page) })).map((r) => r.id));
    assert.deepEqual(paged, whole);
    for (const sort_field of ['created_at', 'quarantined_at']) {
      const all = (await listed({ state: 'all', sort_field })).map((r) => r.id);
      const pages: unknown[] = [];
      for (let page = 0; page < 3; page++) pages.push(...(await listed({ state: 'all', sort_field, limit: '3', page: String(page) })).map((r) => r.id));
      assert.deepEqual(pages, all, sort_field);
    }
    assert.deepEqual(await listed({ page: '1' }), [], 'the default limit (100) holds them all on page 0');
  });

  it('answers a bad value with a 422 naming the field, never a 500, and records nothing', async () => {
    const before = audits();
    for (const [query, field] of [
      [{ type: 'fax' }, 'type'],
      [{ type: ['email', 'webhook'] }, 'type'],
      [{ state: 'gone' }, 'state'],
      [{ limit: '0' }, 'limit'],
      [{ limit: '101' }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
      [{ limit: ['1', '2'] }, 'limit'],
      [{ page: '-1' }, 'page'],
      [{ page: '1.5' }, 'page'],
      [{ page: '99999999999999999999' }, 'page'],
      [{ sort_field: 'email' }, 'sort_field'],
      [{ sort_field: 'relevance' }, 'sort_field'],
      [{ sort_direction: 'up' }, 'sort_direction'],
      [{ q: ['a', 'b'] }, 'q'],
      [{ q: 'x'.repeat(201) }, 'q'],
    ] as const) {
      const res = await list(query);
      assert.equal(res.status, 422, `${JSON.stringify(query)}: ${res.text.slice(0, 200)}`);
      const fields = obj(obj(res.body, 'body').error, 'error').fields as Record<string, string>;
      assert.ok(fields[field], `${JSON.stringify(query)} names ${field}: ${JSON.stringify(fields)}`);
    }
    assert.equal(audits(), before);
  });

  it('reads and removes a Slack subscriber by id, as any other', async () => {
    const one = await request(p.app).get(`/api/v1/pages/${p.ctx.pageId}/subscribers/${ids.slack}`).set('Authorization', `OAuth ${key}`).expect(200);
    assert.equal(checkSubscriber(one.body, 'slack').mode, 'slack');
    await request(p.app).delete(`/api/v1/pages/${p.ctx.pageId}/subscribers/${ids.slack}`).set('Authorization', `OAuth ${key}`).expect(200);
    await request(p.app).get(`/api/v1/pages/${p.ctx.pageId}/subscribers/${ids.slack}`).set('Authorization', `OAuth ${key}`).expect(404);
    await request(p.app).get(`/api/v1/pages/${p.ctx.pageId}/subscribers/${ids.teams}`).set('Authorization', `OAuth ${key}`).expect(404);
  });
});
