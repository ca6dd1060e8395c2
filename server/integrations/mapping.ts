import { createHash } from 'node:crypto';
import type { Component } from '../domain/page/components.js';
import { COMPONENT_STATUSES, type ComponentStatus } from '../domain/page/status.js';
import { Invalid } from '../errors.js';
import { withoutBidiControls, withoutControl } from '../lib/validate.js';
import type { AlertNotice } from './payload.js';

/** What a notification asks of the page: the incident's name and message, and the components' statuses. */
export interface Wanted {
  name: string;
  body: string;
  components: Record<string, ComponentStatus>;
  notify: boolean;
  /** The firing alerts, their severities and what they ask: equal for a repeat, which changes nothing. */
  signature: string;
}

const RANK: ComponentStatus[] = ['operational', 'under_maintenance', 'degraded_performance', 'partial_outage', 'major_outage'];

/** Alertmanager's usual severities; anything else (or none) counts as a partial outage. */
export function statusOfSeverity(severity: string | undefined): ComponentStatus {
  switch ((severity ?? '').toLowerCase()) {
    case 'critical':
      return 'major_outage';
    case 'warning':
    case 'minor':
      return 'degraded_performance';
    default:
      return 'partial_outage';
  }
}

/**
 * An alert's text as plain text on the page and in mail: without control or bidirectional characters
 * (labels repeat the alert's name), every ASCII punctuation mark escaped for Markdown (no link,
 * emphasis, heading, entity or autolinked address can form) and each line's leading whitespace trimmed
 * (no code block).
 */
const plain = (s: string) =>
  withoutBidiControls(withoutControl(s))
    .split('\n')
    .map((line) => line.trimStart().replace(/[!-/:-@[-`{-~]/g, '\\$&'))
    .join('\n');

/** An incident's name from an alert's text: its first line, without control or bidirectional characters, at most 200 characters. */
const oneLine = (s: string | undefined) =>
  withoutBidiControls(withoutControl(s ?? ''))
    .split('\n')
    .map((l) => l.trim())
    .find(Boolean)
    ?.slice(0, 200)
    .trim();

/**
 * Maps a notification onto the page. Components come from the label `components` ("API,Web app"),
 * `component` or `pharos_component` (a name, case-insensitive, or an id), on each alert or in common;
 * the status from `severity` (critical → major outage, major or error → partial, warning or minor →
 * degraded) unless the annotation `pharos_component_status` says it; the worst alert wins per component.
 * A name that is no component will never succeed: a 422 naming the label.
 */
export function wanted(notice: AlertNotice, components: Component[]): Wanted {
  const byName = new Map(components.map((c) => [c.name.toLowerCase(), c.id]));
  const ids = new Set(components.map((c) => c.id));
  const firing = notice.alerts.filter((a) => a.status === 'firing');
  const statuses: Record<string, ComponentStatus> = {};
  firing.forEach((a, i) => {
    const label = (k: string) => a.labels[k] ?? notice.commonLabels[k];
    const named = label('components') ?? label('component') ?? label('pharos_component');
    const override = a.annotations.pharos_component_status ?? notice.commonAnnotations.pharos_component_status;
    if (override !== undefined && !(COMPONENT_STATUSES as readonly string[]).includes(override)) {
      throw new Invalid({ [`alerts[${i}].annotations.pharos_component_status`]: `One of ${COMPONENT_STATUSES.join(', ')}` });
    }
    const status = (override as ComponentStatus | undefined) ?? statusOfSeverity(label('severity'));
    for (const raw of (named ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const id = ids.has(raw) ? raw : byName.get(raw.toLowerCase());
      if (!id) throw new Invalid({ [`alerts[${i}].labels.component`]: `No component named "${raw.slice(0, 100)}"` });
      const before = statuses[id];
      if (!before || RANK.indexOf(status) > RANK.indexOf(before)) statuses[id] = status;
    }
  });
  const first = firing[0] ?? notice.alerts[0];
  const name =
    [
      notice.commonAnnotations.summary,
      notice.commonAnnotations.title,
      first?.annotations.summary,
      first?.annotations.title,
      notice.title,
      notice.commonLabels.alertname,
      first?.labels.alertname,
    ]
      .map(oneLine)
      .find(Boolean) ?? 'Alert';
  const descriptions = [
    ...new Set(firing.map((a) => a.annotations.description ?? notice.commonAnnotations.description).filter((d): d is string => Boolean(d))),
  ];
  const alertNames = [...new Set(firing.map((a) => a.labels.alertname).filter((n): n is string => Boolean(n)))];
  const lines = [
    ...descriptions.map(plain),
    ...(notice.message && !descriptions.length ? [plain(notice.message)] : []),
    firing.length
      ? `${firing.length} alert${firing.length === 1 ? '' : 's'} firing${alertNames.length ? `: ${plain(alertNames.join(', '))}` : ''}.`
      : 'All alerts in this group are resolved.',
    ...(notice.truncated ? [`${notice.truncated} more alert${notice.truncated === 1 ? '' : 's'} not listed (truncated by the sender).`] : []),
  ];
  const notify = (notice.commonLabels.pharos_notify ?? first?.labels.pharos_notify ?? 'true').toLowerCase() !== 'false';
  const signature = createHash('sha256')
    .update(
      JSON.stringify([
        firing.map((a) => [a.fingerprint ?? JSON.stringify(a.labels), a.labels.severity ?? '']).sort(),
        Object.entries(statuses).sort(),
        name,
        notice.truncated,
      ]),
    )
    .digest('hex');
  const body = lines.join('\n\n');
  return { name, body: body.length > 20_000 ? `${body.slice(0, 19_990)}\u2026` : body, components: statuses, notify, signature };
}
