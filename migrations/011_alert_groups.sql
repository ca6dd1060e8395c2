-- Alerts in (Alertmanager, Grafana): one incident per alert group. `signature` is what the last
-- notification said (the firing alerts, their severities and the components' statuses they asked for),
-- so a repeat changes nothing; `set_name` (the name the alerts gave it) tells an operator's rename from ours.
CREATE TABLE alert_groups (
  source     TEXT NOT NULL CHECK (source IN ('alertmanager', 'grafana')),
  group_key  TEXT NOT NULL,
  incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  signature  TEXT NOT NULL,
  -- The components' statuses the alerts set, as JSON {"<component id>": "<status>"}.
  statuses   TEXT NOT NULL,
  set_name   TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (source, group_key)
);
CREATE INDEX alert_groups_incident ON alert_groups(incident_id);
