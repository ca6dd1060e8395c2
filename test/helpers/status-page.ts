import assert from 'node:assert/strict';
import request from 'supertest';
import type { TestPharos } from './pharos.js';

/** The status page as a visitor gets it now (the snapshot rebuilt at the test clock's time). */
export async function statusPageNow(p: TestPharos): Promise<string> {
  p.ctx.snapshot.rebuild(p.ctx.snapshot.current().version);
  return (await request(p.app).get('/').expect(200)).text;
}

/** One live region of the status page as a GET returns it: its hash and its HTML (views/public/status.hbs). */
export function regionOf(page: string, id: string): { hash: string; html: string } {
  const m = new RegExp(`<section id="${id}" data-hash="([^"]+)"[^>]*>([\\s\\S]*?)</section>`).exec(page);
  assert.ok(m, `the page has a ${id} region`);
  return { hash: m[1] ?? '', html: m[2] ?? '' };
}

/** One day of "Past incidents", from its heading to the next day's. */
export function dayOf(past: string, label: string): string {
  const start = past.indexOf(`<h3 class="day__date">${label}</h3>`);
  assert.ok(start >= 0, `${label} is among the past days`);
  const next = past.indexOf('<div class="day">', start);
  return past.slice(start, next === -1 ? undefined : next);
}

/** Text without tags and with spaces collapsed, as a reader sees it. */
export function textOf(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}
