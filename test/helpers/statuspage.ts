/** Statuspage's documented field names and enums, spelled out here independently of the server's code. */

export type Json = Record<string, unknown>;

export const COMPONENT_STATUSES = ['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'];
export const INCIDENT_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'];
export const IMPACTS = ['none', 'minor', 'major', 'critical', 'maintenance'];
export const INDICATORS = ['none', 'minor', 'major', 'critical', 'maintenance'];
export const DESCRIPTIONS: Record<string, string> = {
  none: 'All Systems Operational',
  minor: 'Minor Service Outage',
  major: 'Partial System Outage',
  critical: 'Major Service Outage',
  maintenance: 'Service Under Maintenance',
};

export const PAGE_KEYS = ['id', 'name', 'url', 'time_zone', 'updated_at'];
export const COMPONENT_KEYS = [
  'id',
  'name',
  'status',
  'created_at',
  'updated_at',
  'position',
  'description',
  'showcase',
  'start_date',
  'group_id',
  'page_id',
  'group',
  'only_show_if_degraded',
];
export const INCIDENT_KEYS = [
  'id',
  'name',
  'status',
  'impact',
  'created_at',
  'updated_at',
  'started_at',
  'monitoring_at',
  'resolved_at',
  'shortlink',
  'page_id',
  'components',
  'incident_updates',
];
export const UPDATE_KEYS = [
  'id',
  'status',
  'body',
  'incident_id',
  'created_at',
  'updated_at',
  'display_at',
  'affected_components',
  'deliver_notifications',
  'custom_tweet',
  'tweet_id',
];
