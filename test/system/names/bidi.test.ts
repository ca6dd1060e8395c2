import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { setBranding } from '../../../server/domain/page/branding.js';
import { createComponent } from '../../../server/domain/page/components.js';
import { publishCommunication } from '../../../server/domain/subscribers/communications.js';
import { importCsv } from '../../../server/domain/subscribers/import-export.js';
import { startMailWorld, type MailWorld } from '../../helpers/mail-world.js';
import { addApiKey, settleMail } from '../../helpers/pharos.js';

const system = { type: 'system' } as const;
const RLO = '\u202e';
const PDF = '\u202c';
const LRI = '\u2066';
const PDI = '\u2069';
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;

/**
 * Bidirectional embeddings, overrides and isolates reverse how a name reads on the page (and run on
 * into what follows it): every name a viewer sees loses them at input, whoever typed or sent it.
 */
describe('names without bidirectional controls', () => {
  let world: MailWorld;
  let key: string;
  before(async () => {
    world = await startMailWorld();
    key = addApiKey(world.p, 'alertmanager');
    createComponent(world.p.ctx, system, { name: 'API' });
    importCsv(world.p.ctx, system, 'email\nreader@example.com', true);
  });
  after(() => world.close());

  it('an Alertmanager alert named with U+202E gives an incident whose name has none, on the page, in summary.json, the feed and the mail', async () => {
    const { p, smtp } = world;
    const alertname = `${RLO}srorrE IPA${PDF} ${LRI}now${PDI}`;
    const alert = {
      version: '4',
      groupKey: '{}:{alertname="x"}',
      status: 'firing',
      receiver: 'pharos',
      groupLabels: { alertname },
      commonLabels: { alertname, severity: 'critical', component: 'API' },
      commonAnnotations: {},
      externalURL: 'http://alertmanager:9093',
      truncatedAlerts: 0,
      alerts: [{ status: 'firing', labels: { alertname, severity: 'critical', component: 'API' }, annotations: {}, startsAt: '2026-11-30T09:59:00Z' }],
    };
    await request(p.app).post('/api/integrations/alertmanager').set('Authorization', `Bearer ${key}`).send(alert).expect(201);
    const name = p.ctx.db.prepare('SELECT name FROM incidents').pluck().get() as string;
    assert.equal(name, 'srorrE IPA now');

    const id = p.ctx.db.prepare('SELECT id FROM incidents').pluck().get() as string;
    for (const path of ['/', `/incidents/${id}`, '/api/v2/summary.json', '/api/v2/incidents.json', '/history', '/history.atom', '/history.rss']) {
      const res = await request(p.app).get(path).expect(200);
      assert.ok(res.text.includes('srorrE IPA now'), `${path} names the incident`);
      assert.doesNotMatch(res.text, BIDI_CONTROL, `${path} carries no bidirectional control`);
    }
    await settleMail(p);
    await smtp.until(() => smtp.to('reader@example.com').length === 1);
    const mail = smtp.to('reader@example.com')[0];
    assert.ok(mail);
    assert.match(mail.mail.subject ?? '', /srorrE IPA now/);
    assert.doesNotMatch(mail.raw, BIDI_CONTROL);
    assert.doesNotMatch(`${mail.mail.subject ?? ''}${mail.mail.text ?? ''}${String(mail.mail.html)}`, BIDI_CONTROL);
  });

  it('takes them out of names from the v1 API and the admin: incidents, maintenance, components and groups (with their descriptions), templates, notices, the page', async () => {
    const { p } = world;
    const v1 = (path: string, body: object) =>
      request(p.app).post(`/api/v1/pages/${p.ctx.pageId}${path}`).set('Authorization', `OAuth ${key}`).send(body).expect(201);
    const names: [string, string][] = [];
    const incident = await v1('/incidents', { incident: { name: `${RLO}Slow${PDF} pages`, status: 'investigating' } });
    names.push([(incident.body as { name: string }).name, 'Slow pages']);
    const maintenance = await v1('/incidents', {
      incident: {
        name: `DB ${LRI}upgrade${PDI}`,
        status: 'scheduled',
        scheduled_for: '2026-12-01T10:00:00Z',
        scheduled_until: '2026-12-01T11:00:00Z',
      },
    });
    names.push([(maintenance.body as { name: string }).name, 'DB upgrade']);
    const component = await v1('/components', { component: { name: `${RLO}Search`, description: `${RLO}hcraes llA` } });
    names.push([(component.body as { name: string }).name, 'Search'], [(component.body as { description: string }).description, 'hcraes llA']);
    const group = await v1('/component-groups', {
      component_group: { name: `Core${RLO}`, description: `The ${LRI}core${PDI}`, components: [(component.body as { id: string }).id] },
    });
    names.push([(group.body as { name: string }).name, 'Core'], [(group.body as { description: string }).description, 'The core']);
    const template = await v1('/incident_templates', { template: { name: `${RLO}Tpl`, title: `${LRI}Outage${PDI}`, body: 'x' } });
    names.push([(template.body as { name: string }).name, 'Tpl'], [(template.body as { title: string }).title, 'Outage']);
    const notice = publishCommunication(p.ctx, system, { category: 'general', title: `${RLO}Maintenance notice`, body: 'Hello' });
    names.push([notice.title, 'Maintenance notice']);
    setBranding(p.ctx, system, { page_name: `${RLO}Acme Status`, accent: '', site_url: '', support_url: '', privacy_url: '', terms_url: '' });
    const summary = (await request(p.app).get('/api/v2/summary.json').expect(200)).body as { page: { name: string } };
    names.push([summary.page.name, 'Acme Status']);
    assert.deepEqual(
      names.map(([got]) => got),
      names.map(([, want]) => want),
    );
  });

  it('keeps the marks (U+200E, U+200F, U+061C) that right-to-left names need', async () => {
    const { p } = world;
    const name = 'שירות\u200f (ראשי)';
    const res = await request(p.app)
      .post(`/api/v1/pages/${p.ctx.pageId}/components`)
      .set('Authorization', `OAuth ${key}`)
      .send({ component: { name } })
      .expect(201);
    assert.equal((res.body as { name: string }).name, name);
  });
});
