import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { createComponent } from '../../server/domain/page/components.js';
import { importCsv } from '../../server/domain/subscribers/import-export.js';
import { runJob, startJobs, type Job } from '../../server/jobs/schedule.js';
import { setPageZone } from '../../server/domain/page/time-zone.js';
import { uptimeJob } from '../../server/jobs/uptime-rollup.js';
import { startMailWorld, type MailWorld } from '../helpers/mail-world.js';
import { confirmAccess, signIn, startPharos, submit } from '../helpers/pharos.js';
import { barsOnPage, outage, statusPage, system } from '../unit/domain/page/uptime-history.js';

/** TIME_ZONE is the default; Admin → Settings chooses another without a restart, for every time Pharos shows or reads. */
describe('the page time zone chosen in Settings', () => {
  let w: MailWorld;
  let api: string;
  const days = () => w.p.ctx.db.prepare('SELECT day, major_minutes FROM uptime_days WHERE component_id = ? AND major_minutes > 0 ORDER BY day').all(api);
  const zoneSetting = () => w.p.ctx.db.prepare("SELECT value FROM settings WHERE key = 'page.time_zone'").pluck().get();

  before(async () => {
    w = await startMailWorld({ TIME_ZONE: 'Etc/UTC' });
    w.p.clock.set('2026-11-20T00:00:00.000Z');
    api = createComponent(w.p.ctx, system, { name: 'API' }).id;
    // 22:00–23:00 UTC on 29 November: 07:00–08:00 on the 30th in Tokyo.
    outage(w.p, 'Evening outage', api, 'major_outage', '2026-11-29T22:00:00.000Z', '2026-11-29T23:00:00.000Z');
    w.p.clock.set('2026-12-01T10:00:00.000Z');
    await runJob(w.p.ctx, uptimeJob);
    importCsv(w.p.ctx, system, 'email\nreader@acme.test', true);
    // Signed in at the clock's new time (the world's sessions were opened days before).
    w.admin = await signIn(w.p, 'admin@acme.test');
    w.operator = await signIn(w.p, 'operator@acme.test');
    await confirmAccess(w.admin);
  });
  after(() => w.close());

  it('starts on TIME_ZONE: the rolled-up outage is on 29 November, pages say UTC', async () => {
    assert.deepEqual(days(), [{ day: '2026-11-29', major_minutes: 60 }]);
    const page = await statusPage(w.p);
    assert.ok(barsOnPage(page, 'API').tips.some((t) => t.startsWith('29 November 2026: Major outage, 1 h of major outage')));
    assert.match((await w.admin.get('/admin/maintenance/new').expect(200)).text, /\(Etc\/UTC, UTC\)/);
  });

  it('refuses a name that is not a zone, naming the field and keeping what was typed; nothing changes', async () => {
    const before = JSON.stringify([zoneSetting(), days()]);
    for (const typed of ['Mars/Olympus_Mons', '+09:00', 'x'.repeat(65)]) {
      const res = await submit(w.admin, '/admin/settings', '/admin/settings/time-zone', { time_zone: typed });
      assert.equal(res.status, 422, typed);
      assert.match(res.text, /id="time_zone-error">/);
      assert.match(res.text, /Not a time zone|Use at most 64 characters \(you typed 65\)/);
      assert.match(res.text, new RegExp(`name="time_zone"[^>]*value="${typed.replace(/\+/g, '\\+')}"`));
      assert.equal(JSON.stringify([zoneSetting(), days()]), before, `${typed} changed nothing`);
    }
  });

  it('a new zone applies at once: days of uptime re-keyed, pages, forms and mail in it, the change audited', async () => {
    const version = w.p.ctx.snapshot.current().version;
    const res = await submit(w.admin, '/admin/settings', '/admin/settings/time-zone', { time_zone: 'asia/tokyo' });
    assert.equal(res.status, 303, res.text.slice(0, 300));
    assert.equal(zoneSetting(), 'Asia/Tokyo', 'stored under its canonical name');
    assert.ok(w.p.ctx.snapshot.current().version > version, 'a public change: the snapshot rebuilt');

    // The hour of outage was on the 30th in Tokyo: the rolled-up days are the new zone's.
    assert.deepEqual(days(), [{ day: '2026-11-30', major_minutes: 60 }]);
    const page = await statusPage(w.p);
    const tips = barsOnPage(page, 'API').tips;
    assert.ok(
      tips.some((t) => t.startsWith('30 November 2026: Major outage, 1 h of major outage')),
      tips.join('\n'),
    );
    assert.ok(!tips.some((t) => t.startsWith('29 November 2026: Major')), 'no outage left on the old day');
    // Times on the public pages: 22:00 UTC is 07:00 the next day in Tokyo.
    const incidentPath = /href="(\/incidents\/[\w-]+)"/.exec((await request(w.p.app).get('/history').expect(200)).text)?.[1];
    assert.ok(incidentPath);
    assert.match((await request(w.p.app).get(incidentPath).expect(200)).text, /30 Nov 2026, 07:00 UTC\+9/);

    // A time typed in a form is read in the new zone.
    const settings = (await w.admin.get('/admin/settings').expect(200)).text;
    assert.match(settings, /name="time_zone"[^>]*value="Asia\/Tokyo"/);
    assert.match(settings, /Etc\/UTC \(the page uses Asia\/Tokyo, chosen below\)/);
    assert.match((await w.admin.get('/admin/maintenance/new').expect(200)).text, /\(Asia\/Tokyo, UTC\+9\)/);
    const scheduled = await submit(w.admin, '/admin/maintenance/new', '/admin/maintenance', {
      name: 'Database upgrade',
      body: 'Failover to the new primary.',
      scheduled_for: '2026-12-03T02:00',
      scheduled_until: '2026-12-03T04:00',
      component_ids: [api],
      notify_now: 'on',
    });
    assert.equal(scheduled.status, 303, scheduled.text.slice(0, 400));
    const window = w.p.ctx.db.prepare("SELECT scheduled_for, scheduled_until FROM incidents WHERE name = 'Database upgrade'").get();
    assert.deepEqual(window, { scheduled_for: '2026-12-02T17:00:00.000Z', scheduled_until: '2026-12-02T19:00:00.000Z' });

    // Mail says the window in the page's zone.
    await w.smtp.until(() => w.smtp.to('reader@acme.test').length > 0);
    const mail = w.smtp.to('reader@acme.test')[0]?.mail.text ?? '';
    assert.match(mail, /When: 3 Dec 2026, 02:00 UTC\+9 to 3 Dec 2026, 04:00 UTC\+9/);

    const audit = w.p.ctx.db.prepare("SELECT detail FROM audit_log WHERE action = 'page.time_zone_changed'").pluck().all() as string[];
    assert.equal(audit.length, 1);
    assert.match(audit[0] ?? '', /"before":\{"time_zone":"Etc\/UTC"\}.*"after":\{"time_zone":"Asia\/Tokyo"\}/);
  });

  it('saving the same zone again changes nothing; empty goes back to TIME_ZONE and its days', async () => {
    const events = () => w.p.ctx.db.prepare('SELECT COUNT(*) FROM events').pluck().get();
    const n = events();
    assert.equal((await submit(w.admin, '/admin/settings', '/admin/settings/time-zone', { time_zone: 'Asia/Tokyo' })).status, 303);
    assert.equal(events(), n, 'no change, no event');
    assert.equal((await submit(w.admin, '/admin/settings', '/admin/settings/time-zone', { time_zone: '' })).status, 303);
    assert.equal(zoneSetting(), '');
    assert.deepEqual(days(), [{ day: '2026-11-29', major_minutes: 60 }]);
    assert.match((await w.admin.get('/admin/settings').expect(200)).text, /name="time_zone"[^>]*value="Etc\/UTC"/);
    // Saving the default back, as TIME_ZONE spells it or by its canonical name, is no change either.
    const m = events();
    for (const zone of ['Etc/UTC', 'UTC', 'etc/utc']) {
      assert.equal((await submit(w.admin, '/admin/settings', '/admin/settings/time-zone', { time_zone: zone })).status, 303);
    }
    assert.equal(events(), m);
    assert.equal(zoneSetting(), '');
  });

  it('an operator may not change it', async () => {
    const res = await submit(w.operator, '/admin', '/admin/settings/time-zone', { time_zone: 'Asia/Tokyo' });
    assert.equal(res.status, 403);
    assert.equal(zoneSetting(), '');
  });
});

describe('the scheduled jobs when the zone changes', () => {
  it('are scheduled again in the new zone at once (real node-cron, a few seconds)', async () => {
    const p = await startPharos({ env: { TIME_ZONE: 'Etc/UTC' } });
    try {
      // Two jobs due 3 s from now: one at that wall-clock time in Tokyo (UTC+9, no DST), one at it in UTC.
      const at = new Date(Date.now() + 3000);
      const cronAt = (d: Date) => `${d.getUTCSeconds()} ${d.getUTCMinutes()} ${d.getUTCHours()} * * *`;
      const ran: string[] = [];
      const job = (id: string, schedule: string): Job => ({ id, schedule, description: id, run: () => void ran.push(id) });
      const jobs = startJobs(p.ctx, [job('tokyo-wall-clock', cronAt(new Date(at.getTime() + 9 * 3_600_000))), job('utc-wall-clock', cronAt(at))], []);
      try {
        setPageZone(p.ctx, { type: 'system' }, { time_zone: 'Asia/Tokyo' });
        await new Promise((r) => setTimeout(r, at.getTime() - Date.now() + 1500));
        assert.deepEqual(ran, ['tokyo-wall-clock'], 'the job due in Tokyo ran; the one due at that UTC time no longer does');
      } finally {
        jobs.stop();
      }
    } finally {
      await p.close();
    }
  });
});
