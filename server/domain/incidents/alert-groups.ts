import type { Db } from '../../db/open.js';
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

/** Written inside the incident's own transaction (createIncident's and patchIncident's `alongside`). */
export function saveAlertGroup(db: Db, g: Omit<AlertGroup, 'created_at' | 'updated_at'>, now: string): void {
  db.prepare(
    `INSERT INTO alert_groups (source, group_key, incident_id, signature, statuses, set_name, created_at, updated_at)
     VALUES (@source, @group_key, @incident_id, @signature, @statuses, @set_name, @now, @now)
     ON CONFLICT (source, group_key) DO UPDATE SET incident_id = excluded.incident_id, signature = excluded.signature,
       statuses = excluded.statuses, set_name = excluded.set_name, updated_at = excluded.updated_at`,
  ).run({ ...g, statuses: JSON.stringify(g.statuses), now });
}
