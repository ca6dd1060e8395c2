import { z } from 'zod';
import { parseInput } from '../lib/validate.js';

/**
 * What an alerting system sends, as one shape: Prometheus Alertmanager's webhook (version 4) and
 * Grafana alerting's webhook contact point (the same, plus `title`, `message`, `state`, `orgId`).
 * https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
 */

/** Label and annotation values: long ones are cut, never refused (the sender would drop the alert). */
const labels = z.record(z.string().transform((v) => v.slice(0, 20_000))).default({});

const alert = z.object({
  status: z.enum(['firing', 'resolved'], { message: 'firing or resolved' }),
  labels,
  annotations: labels,
  startsAt: z.string().max(64).optional(),
  endsAt: z.string().max(64).optional(),
  generatorURL: z.string().max(4000).optional(),
  fingerprint: z.string().max(200).optional(),
});

/**
 * Alertmanager counts the alerts of a group it left out (max_alerts) in a uint64, but a group lives in
 * its memory: a billion alerts would be a terabyte of them. Past that the number is not a count but
 * an attempt to put a silly figure on the page.
 */
const MAX_TRUNCATED = 1_000_000_000;
const TRUNCATED = `A whole number from 0 to ${MAX_TRUNCATED.toLocaleString('en')}`;

const common = {
  groupKey: z.string({ required_error: 'Missing groupKey' }).min(1, 'Missing groupKey').max(4000),
  status: z.enum(['firing', 'resolved'], { message: 'firing or resolved' }),
  receiver: z.string().max(500).optional(),
  groupLabels: labels,
  commonLabels: labels,
  commonAnnotations: labels,
  externalURL: z.string().max(4000).optional(),
  truncatedAlerts: z.number({ invalid_type_error: TRUNCATED }).int(TRUNCATED).min(0, TRUNCATED).max(MAX_TRUNCATED, TRUNCATED).default(0),
  alerts: z.array(alert).min(1, 'No alerts'),
};

export const alertmanagerPayload = z.object({ version: z.literal('4', { errorMap: () => ({ message: 'Pharos reads version 4 of the webhook' }) }), ...common });
export const grafanaPayload = z.object({
  ...common,
  version: z.string().max(20).optional(),
  title: z.string().max(2000).optional(),
  message: z
    .string()
    .transform((v) => v.slice(0, 20_000))
    .optional(),
  state: z.string().max(50).optional(),
  orgId: z.number().int().optional(),
});

export type Source = 'alertmanager' | 'grafana';
export interface AlertNotice {
  source: Source;
  groupKey: string;
  status: 'firing' | 'resolved';
  alerts: z.output<typeof alert>[];
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  truncated: number;
  /** Grafana's own title and message for the notification. */
  title?: string;
  message?: string;
}

/** The notification, checked field by field (a 422 names the field: the sender does not retry a 4xx). */
/** At most this many alerts of a group are read; the rest count as truncated, as Alertmanager's own. */
const MAX_ALERTS = 1000;

export function readNotice(source: Source, body: unknown): AlertNotice {
  const notice = readAll(source, body);
  const extra = Math.max(0, notice.alerts.length - MAX_ALERTS);
  return extra ? { ...notice, alerts: notice.alerts.slice(0, MAX_ALERTS), truncated: notice.truncated + extra } : notice;
}

function readAll(source: Source, body: unknown): AlertNotice {
  const n: z.output<typeof grafanaPayload> = source === 'alertmanager' ? parseInput(alertmanagerPayload, body) : parseInput(grafanaPayload, body);
  return {
    source,
    groupKey: n.groupKey,
    status: n.status,
    alerts: n.alerts,
    commonLabels: n.commonLabels,
    commonAnnotations: n.commonAnnotations,
    truncated: n.truncatedAlerts,
    ...(n.title ? { title: n.title } : {}),
    ...(n.message ? { message: n.message } : {}),
  };
}
