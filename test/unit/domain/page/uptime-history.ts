import assert from 'node:assert/strict';
import request from 'supertest';
import { createIncident, patchIncident } from '../../../../server/domain/incidents/writes.js';
import type { Incident } from '../../../../server/domain/incidents/queries.js';
import type { ComponentStatus } from '../../../../server/domain/page/status.js';
import { uptimeBars, type ComponentUptime, type DayBar } from '../../../../server/domain/page/uptime.js';
import type { TestPharos } from '../../../helpers/pharos.js';

/**
 * Helpers the uptime tests share (see the uptime-*.test.ts files next to this one): building a
 * history through the domain with the injected clock, and reading the bars back, from the domain
 * and from the status page.
 */

export const system = { type: 'system' } as const;

export function barsOf(p: TestPharos, id: string): ComponentUptime {
  const u = uptimeBars(p.ctx.db, p.ctx.config.timeZone, p.clock.now(), [id]).get(id);
  assert.ok(u, 'uptime for the component');
  return u;
}

export function dayOf(u: ComponentUptime, key: string): DayBar {
  const d = u.days.find((x) => x.key === key);
  assert.ok(d, `a bar for ${key}`);
  return d;
}

/** An incident setting one component's status from `from` until it is resolved at `to`. */
export function outage(p: TestPharos, name: string, componentId: string, status: ComponentStatus, from: string, to: string | undefined): Incident {
  p.clock.set(from);
  const incident = createIncident(p.ctx, system, { name, components: { [componentId]: status } });
  if (to) {
    p.clock.set(to);
    patchIncident(p.ctx, system, incident.id, { status: 'resolved' });
  }
  return incident;
}

/** The status page as a visitor gets it now (the snapshot rebuilt at the clock's time). */
export async function statusPage(p: TestPharos): Promise<string> {
  p.ctx.snapshot.rebuild(p.ctx.snapshot.current().version);
  return (await request(p.app).get('/').expect(200)).text;
}

/** One component's <li> on the status page. */
export function rowOf(html: string, name: string): string {
  const start = html.indexOf(`<span class="component__name">${name}`);
  assert.ok(start >= 0, `${name} is on the page`);
  const from = html.lastIndexOf('<li class="component', start);
  const next = html.indexOf('<li class="component', start);
  return html.slice(from, next === -1 ? undefined : next);
}

/** The bars (their tip texts) and the uptime figure of one component on the status page. */
export function barsOnPage(html: string, name: string): { label: string; tips: string[]; barCount: number; dayCount: number; figure: string } {
  const row = rowOf(html, name);
  const ol = /<ol class="uptime" aria-label="([^"]*)">([\s\S]*?)<\/ol>/.exec(row);
  assert.ok(ol, `${name} has an uptime bar`);
  const inner = ol[2] ?? '';
  const tips = [...inner.matchAll(/<span class="tip">([^<]*)<\/span>/g)].map((m) => m[1] ?? '');
  const figure = /<p class="uptime__figure[^"]*">([^<]*)<\/p>/.exec(row)?.[1] ?? '';
  // A run of quiet days (or of days without data) is one bar spanning n days ("span nN"); any other day is a bar of its own.
  const bars = [...inner.matchAll(/<li class="bar( [^"]*)"/g)].map((m) => Number(/ span n(\d+)/.exec(m[1] ?? '')?.[1] ?? 1));
  return { label: ol[1] ?? '', tips, barCount: bars.length, dayCount: bars.reduce((a, b) => a + b, 0), figure };
}
