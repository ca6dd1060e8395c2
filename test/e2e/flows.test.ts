import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { createComponent } from '../../server/domain/page/components.js';
import { createIncident } from '../../server/domain/incidents/writes.js';
import { createTemplate } from '../../server/domain/incidents/templates.js';
import { addUser, startPharos, systemClockPharos, type TestPharos } from '../helpers/pharos.js';
import { linkIn, TestSmtp } from '../helpers/smtp.js';
import { launch, screenshot, signInAs } from './browser.js';

const system = { type: 'system' } as const;

describe('in a real browser: subscribers, forms and notices', () => {
  let p: TestPharos;
  let smtp: TestSmtp;
  let browser: Browser;
  let api: string;

  before(async () => {
    smtp = new TestSmtp();
    await smtp.start();
    p = await startPharos({ listen: true, env: { SMTP_URL: smtp.url }, ...systemClockPharos() });
    await addUser(p, 'admin@example.com', 'admin');
    api = createComponent(p.ctx, system, { name: 'API' }).id;
    browser = await launch();
  });
  after(async () => {
    await browser.close();
    await p.close();
    await smtp.stop();
  });

  // Links in mail are built from PUBLIC_URL; the browser follows them on the test server.
  const local = (url: string) => `${p.url}${new URL(url).pathname}`;

  it('subscribe through the form, confirm from the mail, later unsubscribe from a notification', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${p.url}/`);
    await page.locator('body[data-live="on"]').waitFor();
    await page.getByLabel('Email address').fill('reader@example.com');
    // A live update while typing replaces what changed, not the form being typed in.
    createIncident(p.ctx, system, { name: 'Arrived while typing', components: { [api]: 'degraded_performance' } });
    await page.locator('#incidents').getByText('Arrived while typing').waitFor({ timeout: 2000 });
    assert.equal(await page.getByLabel('Email address').inputValue(), 'reader@example.com');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    await smtp.until(() => smtp.to('reader@example.com').length === 1);
    const confirmation = smtp.to('reader@example.com')[0];
    assert.ok(confirmation);
    await page.goto(local(linkIn(confirmation, /\/subscriptions\/confirm\//)));
    // Opening the link (as a mail scanner would) confirms nothing; the button does.
    await page.getByRole('heading', { name: 'Confirm your subscription' }).waitFor();
    assert.equal(p.ctx.db.prepare("SELECT state FROM subscribers WHERE email = 'reader@example.com'").pluck().get(), 'pending');
    await page.getByRole('button', { name: 'Confirm my subscription' }).click();
    await page.getByRole('heading', { name: 'You are subscribed' }).waitFor();

    createIncident(p.ctx, system, { name: 'Queue backlog', components: { [api]: 'degraded_performance' } });
    await smtp.until(() => smtp.to('reader@example.com').length === 2);
    const notification = smtp.to('reader@example.com')[1];
    assert.ok(notification);
    await page.goto(local(linkIn(notification, /\/unsubscribe\//)));
    assert.equal(
      p.ctx.db.prepare("SELECT state FROM subscribers WHERE email = 'reader@example.com'").pluck().get(),
      'confirmed',
      'opening the link changes nothing',
    );
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    await page.getByRole('heading', { name: 'You are unsubscribed' }).waitFor();
    assert.equal(p.ctx.db.prepare("SELECT state FROM subscribers WHERE email = 'reader@example.com'").pluck().get(), 'unsubscribed');
  });

  it('the admin form shows field errors and keeps what was typed', async () => {
    const page = await (await browser.newContext()).newPage();
    await signInAs(page, p.url, 'admin@example.com');
    await page.goto(`${p.url}/admin/incidents/new`);
    await page.getByLabel(/^Message/).fill('Typed before the mistake.');
    await page.getByLabel('Name').fill('   ');
    // The browser's own "required" check would stop an empty name; spaces reach the server.
    await page.getByRole('button', { name: 'Create incident' }).click();
    await page.locator('#name-error').getByText('Enter a name').waitFor();
    assert.equal(await page.getByLabel(/^Message/).inputValue(), 'Typed before the mistake.');
    assert.equal(await page.getByLabel('Name').getAttribute('aria-invalid'), 'true');
    await screenshot(page, 'admin-incident-form-errors');
  });

  it('keyboard alone creates an incident: labels, tab order and visible focus', async () => {
    const page = await (await browser.newContext()).newPage();
    await signInAs(page, p.url, 'admin@example.com');
    await page.goto(`${p.url}/admin/incidents/new`);
    await page.getByLabel('Name').focus();
    await page.keyboard.type('Typed with the keyboard');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle);
    assert.notEqual(outline, 'none', 'the focused field shows its focus');
    // Tab through the form to the submit button, then press Enter.
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.textContent?.trim() === 'Create incident');
    }
    assert.ok(reached, 'the submit button is reachable by Tab');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/admin\/incidents\/[a-z0-9]+$/);
    await page.getByRole('heading', { name: 'Typed with the keyboard' }).waitFor();
  });

  it('a template fills the message of a new incident', async () => {
    const page = await (await browser.newContext()).newPage();
    await signInAs(page, p.url, 'admin@example.com');
    await page.goto(`${p.url}/admin/incidents/new`);
    await page.getByLabel('Start from a template').selectOption({ label: 'Investigating an attack' });
    assert.match(await page.getByLabel(/^Message/).inputValue(), /large-scale malicious attack/);
  });

  it('a template fills in place the title, status, message, notification and the components it lists', async () => {
    createTemplate(p.ctx, system, {
      name: 'API down',
      title: 'API unavailable',
      body: 'Calls to the API fail.',
      update_status: 'identified',
      should_send_notifications: false,
      component_ids: [api],
    });
    const page = await (await browser.newContext()).newPage();
    await signInAs(page, p.url, 'admin@example.com');
    await page.goto(`${p.url}/admin/incidents/new`);
    // The script fills the form in place: the button that would reload the page is hidden.
    assert.equal(await page.getByRole('button', { name: 'Use template' }).isVisible(), false);
    await page.getByLabel('Name', { exact: true }).fill('Typed by the operator');
    await page.getByLabel(/^Message/).fill('Typed too');
    page.once('dialog', (d) => void d.accept());
    await page.getByLabel('Start from a template').selectOption({ label: 'API down' });
    assert.equal(await page.getByLabel(/^Message/).inputValue(), 'Calls to the API fail.');
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Typed by the operator', 'a typed name is kept');
    assert.equal(await page.getByLabel('Status', { exact: true }).inputValue(), 'identified');
    assert.equal(await page.getByLabel('Notify subscribers').isChecked(), false);
    const listed = page.locator('#template-components').getByLabel('API');
    assert.equal(await listed.isChecked(), true);
    await page.getByRole('button', { name: 'Create incident' }).click();
    await page.waitForURL(/\/admin\/incidents\/[a-z0-9]+$/);
    const id = page.url().split('/').pop() ?? '';
    assert.deepEqual(p.ctx.db.prepare('SELECT component_id FROM incident_components WHERE incident_id = ?').pluck().all(id), [api]);
    assert.equal(p.ctx.db.prepare('SELECT status FROM incidents WHERE id = ?').pluck().get(id), 'identified');
  });

  it('a data-protection notice drafted, previewed and published in the admin appears on the status page and on its own page with its headings', async () => {
    const page = await (await browser.newContext()).newPage();
    const viewer = await (await browser.newContext()).newPage();
    await viewer.goto(`${p.url}/`);
    await signInAs(page, p.url, 'admin@example.com');
    await page.goto(`${p.url}/admin/communications/new`);
    await page.getByLabel('Category').selectOption('data_protection');
    await page.getByLabel('Title').fill('Notice about your account data');
    await page.getByLabel(/^What happened/).fill('An attacker used stolen passwords.');
    await page.getByLabel(/^What information was involved/).fill('Names and email addresses.');
    await page.getByLabel(/^Likely consequences/).fill('Phishing emails.');
    await page.getByLabel(/^What we are doing/).fill('We reset the passwords.');
    await page.getByLabel(/^What you can do/).fill('Choose a new password.');
    await page.getByLabel(/^For more information/).fill('dpo@example.com');
    // Never edited once published: saved and previewed first, published from the preview.
    await page.getByRole('button', { name: 'Save and preview' }).click();
    await page.waitForURL(/\/admin\/communications\/drafts\/[a-z0-9]+\/preview$/);
    await page.getByRole('button', { name: 'Publish this notice and email it' }).click();
    await page.waitForURL(/\/admin\/communications\/[a-z0-9]+$/);
    // Live on the open status page, then on its own page with the headings.
    await viewer.locator('#notices').getByText('Notice about your account data').waitFor({ timeout: 2000 });
    await viewer.locator('#notices').getByRole('link', { name: 'Notice about your account data' }).click();
    for (const heading of ['What happened', 'What information was involved', 'What we are doing', 'What you can do', 'For more information']) {
      await viewer.getByRole('heading', { name: heading }).waitFor();
    }
    await screenshot(viewer, 'notice-page');
  });
});
