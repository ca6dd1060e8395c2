import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createIncident } from '../../../server/domain/incidents/writes.js';
import { publishCommunication } from '../../../server/domain/subscribers/communications.js';
import { submit } from '../../helpers/pharos.js';
import type { Received } from '../../helpers/receiver.js';
import { drainHooks, startWorld, stopWorld, system, type World } from './world.js';

const at = (r: Received | undefined, path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined), r?.body);

/** Slack, Microsoft Teams, Discord and Google Chat channels, set up in Admin → Chat: each gets its service's own message. */
describe('chat channels', () => {
  let w: World;
  const add = (kind: string, path: string, extra: Record<string, string | string[]> = {}) =>
    submit(w.admin, '/admin/chat', '/admin/chat', { kind, name: `#${kind}`, url: w.receiver.url(path), topics: ['incidents', 'maintenance'], ...extra });
  const to = (path: string) => w.receiver.received.filter((r) => r.path === path);

  before(async () => {
    w = await startWorld();
    for (const [kind, path] of [
      ['slack', '/slack'],
      ['teams', '/teams'],
      ['discord', '/discord'],
      ['google_chat', '/gchat'],
    ] as const) {
      const res = await add(kind, path);
      assert.equal(res.status, 303, res.text.slice(0, 300));
    }
    // One channel for notices only, one for the web app only.
    assert.equal((await add('slack', '/notices-only', { topics: 'notices' })).status, 303);
    assert.equal((await add('slack', '/web-only', { component_ids: w.web })).status, 303);
  });
  after(() => stopWorld(w));

  it('refuses a channel without a service, name or address, naming the field; nothing is added', async () => {
    const count = () => w.p.ctx.db.prepare('SELECT COUNT(*) FROM endpoints').pluck().get();
    const before = count();
    const cases: [Record<string, string | string[]>, string][] = [
      [{ kind: 'irc' }, 'kind'],
      [{ name: '' }, 'name'],
      [{ url: 'ftp://example.com/x' }, 'url'],
      [{ topics: [] }, 'topics'],
    ];
    for (const [fields, name] of cases) {
      const res = await submit(w.admin, '/admin/chat', '/admin/chat', {
        ...{ kind: 'slack', name: '#x', url: w.receiver.url('/x'), topics: 'incidents' },
        ...fields,
      });
      assert.equal(res.status, 422, name);
      assert.match(res.text, new RegExp(`id="${name}-error">`));
      assert.equal(count(), before);
    }
  });

  it('an incident update reaches each service in its format, with the status colour, the components and a link; not the channels that did not ask', async () => {
    const incident = createIncident(w.p.ctx, system, { name: 'Login <failures>', body: 'Investigating *now*.', components: { [w.api]: 'major_outage' } });
    await drainHooks(w.p);
    await w.receiver.until(() => ['/slack', '/teams', '/discord', '/gchat'].every((p) => to(p).length === 1));
    const link = new RegExp(`/incidents/${incident.id}$`);
    const slack = to('/slack')[0];
    assert.equal(at(slack, ['attachments', 0, 'color']), '#b91c1c');
    assert.match(
      String(at(slack, ['attachments', 0, 'blocks', 0, 'text', 'text'])),
      /\*<http:\/\/[^|]+\|Login &lt;failures&gt;>\*\n\*Investigating\*: Investigating \*now\*\./,
    );
    assert.equal(at(slack, ['attachments', 0, 'blocks', 1, 'elements', 0, 'text']), 'API: Major outage');
    const teams = to('/teams')[0];
    assert.equal(at(teams, ['attachments', 0, 'contentType']), 'application/vnd.microsoft.card.adaptive');
    assert.equal(at(teams, ['attachments', 0, 'content', 'type']), 'AdaptiveCard');
    assert.equal(at(teams, ['attachments', 0, 'content', 'body', 0, 'text']), 'Login <failures>');
    assert.match(String(at(teams, ['attachments', 0, 'content', 'actions', 0, 'url'])), link);
    const discord = to('/discord')[0];
    assert.equal(at(discord, ['embeds', 0, 'color']), 0xb91c1c);
    assert.match(String(at(discord, ['embeds', 0, 'url'])), link);
    assert.equal(at(discord, ['embeds', 0, 'fields', 0, 'value']), 'API: Major outage');
    assert.deepEqual(at(discord, ['allowed_mentions']), { parse: [] });
    const gchat = to('/gchat')[0];
    assert.equal(at(gchat, ['cardsV2', 0, 'card', 'header', 'title']), 'Login <failures>');
    assert.equal(at(gchat, ['cardsV2', 0, 'card', 'sections', 0, 'widgets', 0, 'textParagraph', 'text']), 'Investigating *now*.');
    assert.equal(to('/notices-only').length, 0, 'a notices-only channel gets no incident');
    assert.equal(to('/web-only').length, 0, 'a channel for another component gets nothing');
    for (const r of w.receiver.received) assert.equal(r.headers['x-pharos-signature'], undefined, 'chat messages are not signed');
    // The notification text outside the blocks is escaped too: a name cannot ping a channel or make a link.
    assert.equal(at(slack, ['text']), 'Investigating: Login &lt;failures&gt; · Acme Status');
    assert.equal(at(gchat, ['text']), 'Investigating: Login &lt;failures&gt;');
  });

  it('a long update is cut to its start with a pointer to the page (Slack refuses sections over 3,000 characters)', async () => {
    const before = to('/slack').length;
    createIncident(w.p.ctx, system, { name: 'Long', body: 'word '.repeat(4000), components: { [w.api]: 'partial_outage' } });
    await drainHooks(w.p);
    await w.receiver.until(() => to('/slack').length === before + 1);
    const text = String(at(to('/slack')[before], ['attachments', 0, 'blocks', 0, 'text', 'text']));
    assert.ok(text.length < 3000, `${text.length} characters`);
    assert.match(text, /… \(more on the page\)$/);
  });

  it('a notice goes to the channels that asked for notices', async () => {
    publishCommunication(w.p.ctx, system, { category: 'security_advisory', title: 'Reset your password', body: 'We rotated keys.' });
    await drainHooks(w.p);
    await w.receiver.until(() => to('/notices-only').length === 1);
    const m = to('/notices-only')[0];
    assert.match(String(at(m, ['attachments', 0, 'blocks', 0, 'text', 'text'])), /Reset your password.*\n\*Security advisory\*: We rotated keys\./s);
    assert.equal(to('/slack').length, 2, 'the incidents channel gets no notice');
  });

  it('"Send a test message" posts one through the outbox; the delivery log shows it', async () => {
    const id = w.p.ctx.db.prepare("SELECT id FROM endpoints WHERE url LIKE '%/discord'").pluck().get() as string;
    const res = await submit(w.admin, '/admin/chat', `/admin/chat/${id}/test`, {});
    assert.equal(res.status, 303);
    await drainHooks(w.p);
    const isTest = (r: Received) => /^Test message from Acme Status$/.test(String(at(r, ['embeds', 0, 'title'])));
    await w.receiver.until(() => to('/discord').some(isTest));
    assert.equal(to('/discord').filter(isTest).length, 1);
    const log = (await w.admin.get(`/admin/deliveries?endpoint=${id}`).expect(200)).text;
    assert.match(log, /endpoint_test/);
    assert.match(log, /HTTP 200/);
    const page = (await w.admin.get('/admin/chat').expect(200)).text;
    assert.match(page, /#discord/);
    assert.match(page, /Discord/);
  });

  it('removing a channel stops its messages', async () => {
    const id = w.p.ctx.db.prepare("SELECT id FROM endpoints WHERE url LIKE '%/teams'").pluck().get() as string;
    assert.equal((await submit(w.admin, '/admin/chat', `/admin/chat/${id}/delete`, {})).status, 303);
    createIncident(w.p.ctx, system, { name: 'Second', components: { [w.api]: 'partial_outage' } });
    await drainHooks(w.p);
    await w.receiver.until(() => to('/slack').length === 3);
    assert.equal(to('/teams').length, 2);
  });
});
