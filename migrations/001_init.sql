-- Pharos schema, first cut. Times are UTC ISO 8601 strings with milliseconds.

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name          TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('admin', 'operator')),
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);

CREATE TABLE sessions (
  id_hash      TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at   TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  expires_at   TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  key_hash     TEXT NOT NULL UNIQUE,
  prefix       TEXT NOT NULL,
  created_by   TEXT,
  created_at   TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at   TEXT
);

CREATE TABLE component_groups (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  position    INTEGER NOT NULL,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);

CREATE TABLE components (
  id                    TEXT PRIMARY KEY,
  group_id              TEXT REFERENCES component_groups(id) ON DELETE SET NULL,
  name                  TEXT NOT NULL,
  description           TEXT NOT NULL DEFAULT '',
  status                TEXT NOT NULL CHECK (status IN
                          ('operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance')),
  position              INTEGER NOT NULL,
  showcase              INTEGER NOT NULL DEFAULT 1,
  only_show_if_degraded INTEGER NOT NULL DEFAULT 0,
  start_date            TEXT,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL
);
CREATE INDEX components_group ON components(group_id, position);

CREATE TABLE incidents (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved', 'postmortem')),
  impact          TEXT NOT NULL CHECK (impact IN ('none', 'minor', 'major', 'critical', 'maintenance')),
  impact_override TEXT CHECK (impact_override IN ('none', 'minor', 'major', 'critical')),
  started_at      TEXT NOT NULL,
  monitoring_at   TEXT,
  resolved_at     TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);
CREATE INDEX incidents_started ON incidents(started_at);
CREATE INDEX incidents_open ON incidents(resolved_at);

CREATE TABLE incident_components (
  incident_id  TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  component_id TEXT NOT NULL REFERENCES components(id) ON DELETE CASCADE,
  PRIMARY KEY (incident_id, component_id)
);
CREATE INDEX incident_components_component ON incident_components(component_id);

CREATE TABLE incident_updates (
  id                    TEXT PRIMARY KEY,
  incident_id           TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  status                TEXT NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved', 'postmortem')),
  body                  TEXT NOT NULL,
  deliver_notifications INTEGER NOT NULL DEFAULT 1,
  author                TEXT NOT NULL DEFAULT '',
  display_at            TEXT NOT NULL,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL
);
CREATE INDEX incident_updates_incident ON incident_updates(incident_id, created_at);

-- The components an update changed, kept by name so history survives a component's deletion.
CREATE TABLE incident_update_components (
  update_id    TEXT NOT NULL REFERENCES incident_updates(id) ON DELETE CASCADE,
  component_id TEXT NOT NULL,
  name         TEXT NOT NULL,
  old_status   TEXT NOT NULL,
  new_status   TEXT NOT NULL,
  position     INTEGER NOT NULL,
  PRIMARY KEY (update_id, component_id)
);

-- One row per committed change to what the public sees; its id orders live updates.
CREATE TABLE events (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  cause      TEXT NOT NULL,
  subject    TEXT NOT NULL,
  actor      TEXT NOT NULL,
  created_at TEXT NOT NULL
);
