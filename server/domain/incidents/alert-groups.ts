import type { Db } from '../../db/open.js';
import { HttpError } from '../../errors.js';
import type { ComponentStatus } from '../page/status.js';

/** One incident per alert group (Alertmanager's groupKey): what the last notification asked of the page. */
export interface AlertGroup {
  source: 'alertmanager' | 'grafana';
  group_key: string;
  incident_id: string;
  signature: string;
  statuses: Record<string, ComponentStatus>;
  set_name: string;
  created_at: string;
  updated_at: string;
}

export function findAlertGroup(db: Db, source: AlertGroup['source'], groupKey: string): AlertGroup | undefined {
  const row = db.prepare('SELECT * FROM alert_groups WHERE source = ? AND group_key = ?').get(source, groupKey) as
    (Omit<AlertGroup, 'statuses'> & { statuses: string }) | undefined;
  return row ? { ...row, statuses: JSON.parse(row.statuses) as Record<string, ComponentStatus> } : undefined;
}

/**
 * Written inside the incident's own transaction (createIncident's and patchIncident's `alongside`).
 * `expected`: the group's `updated_at` as the caller read it (none: a new group). If another process
 * changed or created the group meanwhile, this throws a 503 and the whole change rolls back: the sender
 * (Alertmanager, Grafana) retries a 5xx, and then sees the group as it is.
 */
export function saveAlertGroup(db: Db, g: Omit<AlertGroup, 'created_at' | 'updated_at'>, now: string, expected?: string): void {
  const current = db.prepare('SELECT updated_at FROM alert_groups WHERE source = ? AND group_key = ?').pluck().get(g.source, g.group_key) as string | undefined;
  if (current !== expected) {
    const err = new HttpError(503, 'alert_group_busy', 'This alert group changed while the notification was applied: send it again');
    err.retryAfterSeconds = 1;
    throw err;
  }
  db.prepare(
    `INSERT INTO alert_groups (source, group_key, incident_id, signature, statuses, set_name, created_at, updated_at)
     VALUES (@source, @group_key, @incident_id, @signature, @statuses, @set_name, @now, @now)
     ON CONFLICT (source, group_key) DO UPDATE SET incident_id = excluded.incident_id, signature = excluded.signature,
       statuses = excluded.statuses, set_name = excluded.set_name, updated_at = excluded.updated_at`,
  ).run({ ...g, statuses: JSON.stringify(g.statuses), now });
}
