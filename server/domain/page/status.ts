/** The vocabulary of statuses, as Statuspage names them, and how the page's overall status derives from them. */

export const COMPONENT_STATUSES = ['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'] as const;
export type ComponentStatus = (typeof COMPONENT_STATUSES)[number];

export const INCIDENT_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'] as const;

/** The status an incident's next update most likely has: investigating → identified → monitoring → resolved. */
export function nextIncidentStatus(status: string): (typeof INCIDENT_STATUSES)[number] {
  if (status === 'investigating') return 'identified';
  if (status === 'identified') return 'monitoring';
  if (status === 'monitoring') return 'resolved';
  return status === 'postmortem' ? 'postmortem' : 'resolved';
}
/** Scheduled maintenance goes through these instead (Statuspage's names). */
export const MAINTENANCE_STATUSES = ['scheduled', 'in_progress', 'verifying', 'completed'] as const;
export type MaintenanceStatus = (typeof MAINTENANCE_STATUSES)[number];
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number] | MaintenanceStatus;

export const IMPACTS = ['none', 'minor', 'major', 'critical'] as const;
export type Impact = (typeof IMPACTS)[number] | 'maintenance';

export const INDICATORS = ['none', 'minor', 'major', 'critical', 'maintenance'] as const;
export type Indicator = (typeof INDICATORS)[number];

export const COMPONENT_STATUS_LABELS: Record<ComponentStatus, string> = {
  operational: 'Operational',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  under_maintenance: 'Under maintenance',
};

export const INCIDENT_STATUS_LABELS: Record<IncidentStatus, string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
  postmortem: 'Postmortem',
  scheduled: 'Scheduled',
  in_progress: 'In progress',
  verifying: 'Verifying',
  completed: 'Completed',
};

export const IMPACT_LABELS: Record<Impact, string> = {
  none: 'None',
  minor: 'Minor',
  major: 'Major',
  critical: 'Critical',
  maintenance: 'Maintenance',
};

/** Statuspage's descriptions of the page indicator. */
export const INDICATOR_DESCRIPTIONS: Record<Indicator, string> = {
  none: 'All Systems Operational',
  minor: 'Minor Service Outage',
  major: 'Partial System Outage',
  critical: 'Major Service Outage',
  maintenance: 'Service Under Maintenance',
};

/** Default update text per status, as Statuspage words it, used when an update has no message. */
export const DEFAULT_UPDATE_BODIES: Record<IncidentStatus, string> = {
  investigating: 'We are currently investigating this issue.',
  identified: 'The issue has been identified and a fix is being implemented.',
  monitoring: 'A fix has been implemented and we are monitoring the results.',
  resolved: 'This incident has been resolved.',
  postmortem: 'A postmortem of this incident has been published.',
  scheduled: 'This maintenance is scheduled.',
  in_progress: 'Scheduled maintenance is currently in progress. We will provide updates as necessary.',
  verifying: 'Verification is currently underway for the maintenance items.',
  completed: 'The scheduled maintenance has been completed.',
};

const SEVERITY: Record<Indicator, number> = { none: 0, maintenance: 1, minor: 2, major: 3, critical: 4 };

const COMPONENT_INDICATOR: Record<ComponentStatus, Indicator> = {
  operational: 'none',
  under_maintenance: 'maintenance',
  degraded_performance: 'minor',
  partial_outage: 'major',
  major_outage: 'critical',
};

export function isResolved(status: IncidentStatus): boolean {
  return status === 'resolved' || status === 'postmortem' || status === 'completed';
}

export function worst(indicators: Iterable<Indicator>): Indicator {
  let result: Indicator = 'none';
  for (const i of indicators) if (SEVERITY[i] > SEVERITY[result]) result = i;
  return result;
}

/** The worst of some components' statuses (a group's own status on the page). */
export function worstComponentStatus(statuses: Iterable<ComponentStatus>): ComponentStatus {
  let result: ComponentStatus = 'operational';
  for (const s of statuses) if (SEVERITY[COMPONENT_INDICATOR[s]] > SEVERITY[COMPONENT_INDICATOR[result]]) result = s;
  return result;
}

/** An incident's impact derived from the component statuses it set: the worst one. */
export function impactFromComponentStatuses(statuses: Iterable<ComponentStatus>): Impact {
  const indicator = worst([...statuses].map((s) => COMPONENT_INDICATOR[s]));
  return indicator === 'maintenance' ? 'none' : indicator;
}

/**
 * The page's overall indicator, as Statuspage derives it: the worst of the components' statuses
 * and the impacts of unresolved incidents; maintenance only when nothing is worse.
 */
export function pageIndicator(componentStatuses: Iterable<ComponentStatus>, openImpacts: Iterable<Impact>): Indicator {
  return worst([...[...componentStatuses].map((s) => COMPONENT_INDICATOR[s]), ...openImpacts]);
}
