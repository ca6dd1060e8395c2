-- Hold for approval: an API key may have its alerts open drafts rather than incidents. A draft is
-- not an incident: nothing of it reaches the page, viewers or subscribers until an operator publishes it.
ALTER TABLE api_keys ADD COLUMN hold_alerts INTEGER NOT NULL DEFAULT 0;
CREATE TABLE alert_drafts (
  id         TEXT PRIMARY KEY,
  source     TEXT NOT NULL CHECK (source IN ('alertmanager', 'grafana')),
  group_key  TEXT NOT NULL,
  api_key_id TEXT REFERENCES api_keys(id) ON DELETE SET NULL,
  name       TEXT NOT NULL,
  body       TEXT NOT NULL,
  -- The components' statuses the alerts ask for, as JSON {"<component id>": "<status>"}.
  components TEXT NOT NULL,
  notify     INTEGER NOT NULL,
  signature  TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (source, group_key)
);
