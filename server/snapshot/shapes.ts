/** Statuspage v2 JSON shapes, field for field, built from our domain objects. */
import type { LayoutItem } from '../domain/page/order.js';
import type { Component } from '../domain/page/components.js';
import type { Incident, IncidentUpdate } from '../domain/incidents/queries.js';
import type { ComponentStatus, Indicator } from '../domain/page/status.js';

export interface PageShape {
  id: string;
  name: string;
  url: string;
  time_zone: string;
  updated_at: string;
}

export interface ComponentShape {
  id: string;
  name: string;
  status: ComponentStatus;
  created_at: string;
  updated_at: string;
  position: number;
  description: string | null;
  showcase: boolean;
  start_date: string | null;
  group_id: string | null;
  page_id: string;
  group: boolean;
  only_show_if_degraded: boolean;
  components?: string[];
}

export interface StatusShape {
  indicator: Indicator;
  description: string;
}

const STATUS_RANK: ComponentStatus[] = ['operational', 'under_maintenance', 'degraded_performance', 'partial_outage', 'major_outage'];

function groupStatus(children: Component[]): ComponentStatus {
  return children.reduce<ComponentStatus>((acc, c) => (STATUS_RANK.indexOf(c.status) > STATUS_RANK.indexOf(acc) ? c.status : acc), 'operational');
}

export function componentShape(c: Component, pageId: string, position: number): ComponentShape {
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    created_at: c.created_at,
    updated_at: c.updated_at,
    position,
    description: c.description || null,
    showcase: c.showcase,
    start_date: c.start_date,
    group_id: c.group_id,
    page_id: pageId,
    group: false,
    only_show_if_degraded: c.only_show_if_degraded,
  };
}

/** Groups and components flat, in page order; a group lists its children's ids. */
export function componentsShape(layout: LayoutItem[], pageId: string): ComponentShape[] {
  const out: ComponentShape[] = [];
  for (const item of layout) {
    if (item.kind === 'component') {
      out.push(componentShape(item.component, pageId, out.length + 1));
      continue;
    }
    const g = item.group;
    out.push({
      id: g.id,
      name: g.name,
      status: groupStatus(item.components),
      created_at: g.created_at,
      updated_at: g.updated_at,
      position: out.length + 1,
      description: g.description || null,
      showcase: false,
      start_date: null,
      group_id: null,
      page_id: pageId,
      group: true,
      only_show_if_degraded: false,
      components: item.components.map((c) => c.id),
    });
    for (const c of item.components) out.push(componentShape(c, pageId, out.length + 1));
  }
  return out;
}

/** Each component's and group's position in page order, as componentsShape numbers them. */
export function pagePositions(layout: LayoutItem[]): Map<string, number> {
  return new Map(componentsShape(layout, '').map((c) => [c.id, c.position]));
}

export function updateShape(u: IncidentUpdate) {
  return {
    id: u.id,
    status: u.status,
    body: u.body,
    incident_id: u.incident_id,
    created_at: u.created_at,
    updated_at: u.updated_at,
    display_at: u.display_at,
    affected_components: u.affected_components.length ? u.affected_components : null,
    deliver_notifications: u.deliver_notifications,
    custom_tweet: null,
    tweet_id: null,
  };
}

export function incidentShape(i: Incident, pageId: string, publicUrl: string, positions: Map<string, number>) {
  return {
    id: i.id,
    name: i.name,
    status: i.status,
    created_at: i.created_at,
    updated_at: i.updated_at,
    monitoring_at: i.monitoring_at,
    resolved_at: i.resolved_at,
    impact: i.impact,
    shortlink: `${publicUrl}/incidents/${i.id}`,
    started_at: i.started_at,
    page_id: pageId,
    incident_updates: i.incident_updates.map(updateShape),
    components: i.components.map((c) => componentShape(c, pageId, positions.get(c.id) ?? 0)),
  };
}
export type IncidentShape = ReturnType<typeof incidentShape>;

/** Statuspage's scheduled maintenance: an incident with its window and options. */
export function maintenanceShape(i: Incident, pageId: string, publicUrl: string, positions: Map<string, number>) {
  return {
    ...incidentShape(i, pageId, publicUrl, positions),
    scheduled_for: i.scheduled_for,
    scheduled_until: i.scheduled_until,
    scheduled_remind_prior: i.scheduled_remind_prior > 0,
    scheduled_reminded_at: i.reminded_at,
    scheduled_auto_in_progress: i.scheduled_auto_in_progress === 1,
    scheduled_auto_completed: i.scheduled_auto_completed === 1,
  };
}
export type MaintenanceShape = ReturnType<typeof maintenanceShape>;
