-- pharos: rebuilds tables
-- Scheduled maintenance (incidents of kind 'maintenance'), the data-protection clock, component status
-- history for uptime, job runs. SQLite cannot change a CHECK constraint, so incidents, incident_updates
-- and deliveries are rebuilt (foreign keys are off meanwhile and checked before commit; see migrate.ts).

CREATE TABLE incidents_new (
  id              TEXT PRIMARY KEY,
  kind            TEXT NOT NULL DEFAULT 'incident' CHECK (kind IN ('incident', 'maintenance')),
  name            TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved', 'postmortem',
                                                  'scheduled', 'in_progress', 'verifying', 'completed')),
  impact          TEXT NOT NULL CHECK (impact IN ('none', 'minor', 'major', 'critical', 'maintenance')),
  impact_override TEXT CHECK (impact_override IN ('none', 'minor', 'major', 'critical')),
  started_at      TEXT NOT NULL,
  monitoring_at   TEXT,
  resolved_at     TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  -- Maintenance windows.
  scheduled_for              TEXT,
  scheduled_until            TEXT,
  scheduled_remind_prior     INTEGER NOT NULL DEFAULT 0,
  scheduled_auto_in_progress INTEGER NOT NULL DEFAULT 0,
  scheduled_auto_completed   INTEGER NOT NULL DEFAULT 0,
  notify_on_start            INTEGER NOT NULL DEFAULT 1,
  notify_on_completion       INTEGER NOT NULL DEFAULT 1,
  reminded_at                TEXT,
  cancelled_at               TEXT,
  -- The data-protection clock (GDPR Art. 33).
  personal_data_at_risk      INTEGER NOT NULL DEFAULT 0,
  aware_at                   TEXT,
  authority_notified_at      TEXT,
  authority_reference        TEXT NOT NULL DEFAULT '',
  delay_reasons              TEXT NOT NULL DEFAULT '',
  dp_reminders_sent          TEXT NOT NULL DEFAULT ''
);
INSERT INTO incidents_new (id, name, status, impact, impact_override, started_at, monitoring_at, resolved_at, created_at, updated_at)
  SELECT id, name, status, impact, impact_override, started_at, monitoring_at, resolved_at, created_at, updated_at FROM incidents;
DROP TABLE incidents;
ALTER TABLE incidents_new RENAME TO incidents;
CREATE INDEX incidents_started ON incidents(started_at);
CREATE INDEX incidents_open ON incidents(resolved_at);
CREATE INDEX incidents_kind ON incidents(kind, resolved_at);

CREATE TABLE incident_updates_new (
  id                    TEXT PRIMARY KEY,
  incident_id           TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  status                TEXT NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved', 'postmortem',
                                                        'scheduled', 'in_progress', 'verifying', 'completed')),
  body                  TEXT NOT NULL,
  deliver_notifications INTEGER NOT NULL DEFAULT 1,
  author                TEXT NOT NULL DEFAULT '',
  display_at            TEXT NOT NULL,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL
);
INSERT INTO incident_updates_new SELECT id, incident_id, status, body, deliver_notifications, author, display_at, created_at, updated_at
  FROM incident_updates;
DROP TABLE incident_updates;
ALTER TABLE incident_updates_new RENAME TO incident_updates;
CREATE INDEX incident_updates_incident ON incident_updates(incident_id, created_at);

CREATE TABLE deliveries_new (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  source          TEXT NOT NULL,
  recipient       TEXT NOT NULL,
  subscriber_id   TEXT,
  kind            TEXT NOT NULL CHECK (kind IN ('confirmation', 'already_subscribed', 'incident_update', 'communication',
                                               'maintenance_reminder', 'admin_alert')),
  subject_id      TEXT NOT NULL,
  thread_id       TEXT,
  message_id      TEXT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'dead')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_until     INTEGER,
  last_error      TEXT,
  smtp_response   TEXT,
  created_at      TEXT NOT NULL,
  sent_at         TEXT,
  updated_at      TEXT NOT NULL,
  UNIQUE (source, recipient)
);
INSERT INTO deliveries_new SELECT * FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE INDEX deliveries_due ON deliveries(state, next_attempt_at);
CREATE INDEX deliveries_lease ON deliveries(state, lease_until);

-- Every status a component has had, for uptime: an open interval has ended_at NULL.
CREATE TABLE component_status_log (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  component_id TEXT NOT NULL REFERENCES components(id) ON DELETE CASCADE,
  status       TEXT NOT NULL,
  started_at   TEXT NOT NULL,
  ended_at     TEXT
);
CREATE INDEX component_status_log_component ON component_status_log(component_id, started_at);
-- Without a history yet, a component is taken as operational until it last changed, then as it is now
-- (so an outage at upgrade time is not stretched back to the component's creation).
INSERT INTO component_status_log (component_id, status, started_at, ended_at)
  SELECT id, 'operational', created_at, updated_at FROM components WHERE status <> 'operational' AND updated_at > created_at;
INSERT INTO component_status_log (component_id, status, started_at)
  SELECT id, status, CASE WHEN status <> 'operational' THEN updated_at ELSE created_at END FROM components;

-- Finished days, rolled up once by the daily job (minutes of each status, in the page's time zone).
CREATE TABLE uptime_days (
  component_id        TEXT NOT NULL REFERENCES components(id) ON DELETE CASCADE,
  day                 TEXT NOT NULL,
  major_minutes       REAL NOT NULL,
  partial_minutes     REAL NOT NULL,
  degraded_minutes    REAL NOT NULL,
  maintenance_minutes REAL NOT NULL,
  observed_minutes    REAL NOT NULL,
  PRIMARY KEY (component_id, day)
);

CREATE TABLE job_runs (
  job_id       TEXT PRIMARY KEY,
  started_at   TEXT NOT NULL,
  finished_at  TEXT,
  result       TEXT NOT NULL CHECK (result IN ('running', 'ok', 'error')),
  error        TEXT,
  detail       TEXT NOT NULL DEFAULT ''
);
