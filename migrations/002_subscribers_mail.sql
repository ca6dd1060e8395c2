-- Email subscribers, the delivery outbox, official communications and the audit log.

CREATE TABLE subscribers (
  id               TEXT PRIMARY KEY,
  email            TEXT NOT NULL UNIQUE COLLATE NOCASE,
  state            TEXT NOT NULL CHECK (state IN ('pending', 'confirmed', 'unsubscribed', 'bounced')),
  all_components   INTEGER NOT NULL DEFAULT 1,
  -- Links carry HMAC tokens derived from these; bumping token_version revokes every manage/unsubscribe link.
  token_version    INTEGER NOT NULL DEFAULT 1,
  confirm_nonce    TEXT,
  confirm_expires_at TEXT,
  confirm_sent_at  TEXT,
  bounce_count     INTEGER NOT NULL DEFAULT 0,
  source           TEXT NOT NULL DEFAULT 'form' CHECK (source IN ('form', 'import')),
  created_at       TEXT NOT NULL,
  confirmed_at     TEXT,
  unsubscribed_at  TEXT,
  updated_at       TEXT NOT NULL
);
CREATE INDEX subscribers_state ON subscribers(state);

CREATE TABLE subscriber_components (
  subscriber_id TEXT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  component_id  TEXT NOT NULL REFERENCES components(id) ON DELETE CASCADE,
  PRIMARY KEY (subscriber_id, component_id)
);
CREATE INDEX subscriber_components_component ON subscriber_components(component_id);

-- The outbox: one row per message per recipient, written in the transaction that caused it.
CREATE TABLE deliveries (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  source          TEXT NOT NULL,
  recipient       TEXT NOT NULL,
  subscriber_id   TEXT,
  kind            TEXT NOT NULL CHECK (kind IN ('confirmation', 'already_subscribed', 'incident_update', 'communication')),
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
CREATE INDEX deliveries_due ON deliveries(state, next_attempt_at);
CREATE INDEX deliveries_lease ON deliveries(state, lease_until);

CREATE TABLE communications (
  id            TEXT PRIMARY KEY,
  -- Every version of one notice shares its series; a correction is a new row, never an edit.
  series_id     TEXT NOT NULL,
  version       INTEGER NOT NULL,
  replaces_id   TEXT REFERENCES communications(id),
  category      TEXT NOT NULL CHECK (category IN ('data_protection', 'security_advisory', 'general')),
  title         TEXT NOT NULL,
  what_happened TEXT NOT NULL DEFAULT '',
  data_involved TEXT NOT NULL DEFAULT '',
  consequences  TEXT NOT NULL DEFAULT '',
  measures      TEXT NOT NULL DEFAULT '',
  what_to_do    TEXT NOT NULL DEFAULT '',
  contact       TEXT NOT NULL DEFAULT '',
  body          TEXT NOT NULL DEFAULT '',
  incident_id   TEXT REFERENCES incidents(id) ON DELETE SET NULL,
  author        TEXT NOT NULL,
  published_at  TEXT NOT NULL,
  UNIQUE (series_id, version)
);
CREATE INDEX communications_published ON communications(published_at);

CREATE TABLE audit_log (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  at      TEXT NOT NULL,
  actor   TEXT NOT NULL,
  action  TEXT NOT NULL,
  subject TEXT NOT NULL DEFAULT '',
  detail  TEXT NOT NULL DEFAULT ''
);
