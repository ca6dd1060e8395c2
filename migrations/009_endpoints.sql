-- pharos: rebuilds tables
-- Deliveries over HTTP: webhook subscribers (Statuspage's payloads, signed) and chat channels (Slack,
-- Microsoft Teams, Discord, Google Chat). Both are endpoints; every message to one is an outbox row in
-- `deliveries`, written in the transaction of its cause like every mail.
CREATE TABLE endpoints (
  id             TEXT PRIMARY KEY,
  kind           TEXT NOT NULL CHECK (kind IN ('webhook', 'slack', 'teams', 'discord', 'google_chat')),
  -- A chat channel's name in the admin; a webhook's is its address.
  name           TEXT NOT NULL,
  url            TEXT NOT NULL,
  -- Webhooks: where failures are reported (Statuspage's `email`); chat channels: NULL.
  email          TEXT,
  -- Webhooks: the HMAC key of X-Pharos-Signature, shown once at creation.
  signing_secret TEXT,
  all_components INTEGER NOT NULL DEFAULT 1,
  -- Chat channels: which kinds of message they get (a JSON list of 'incidents', 'maintenance', 'notices').
  topics         TEXT NOT NULL DEFAULT '["incidents","maintenance","notices"]',
  -- Who made it: an admin may point at a private address (on-premises integrations), the public may not.
  created_by     TEXT NOT NULL CHECK (created_by IN ('admin', 'api', 'public')),
  allow_private  INTEGER NOT NULL DEFAULT 0,
  -- The address resolved to a private one when it was added (shown as such in the admin).
  private_address INTEGER NOT NULL DEFAULT 0,
  state          TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'disabled')),
  -- Since when every attempt has failed (NULL after a success), and the last failure: 24 h of failures
  -- with no quiet gap of more than 2 h disables it.
  failing_since  TEXT,
  last_failed_at TEXT,
  -- When it answered the verification challenge (a public webhook gets nothing before); set at creation
  -- for the admin's and the API's.
  verified_at    TEXT,
  disabled_at    TEXT,
  disabled_reason TEXT,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);
CREATE INDEX endpoints_kind ON endpoints(kind, state);
-- A public webhook's address is subscribed once.
CREATE UNIQUE INDEX endpoints_public_url ON endpoints(url) WHERE created_by = 'public';

CREATE TABLE endpoint_components (
  endpoint_id  TEXT NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
  component_id TEXT NOT NULL REFERENCES components(id) ON DELETE CASCADE,
  PRIMARY KEY (endpoint_id, component_id)
);

-- The outbox gains a channel and the endpoint a row goes to; the kinds of HTTP messages join the list.
CREATE TABLE deliveries_new (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  source          TEXT NOT NULL,
  recipient       TEXT NOT NULL,
  subscriber_id   TEXT,
  channel         TEXT NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'webhook', 'chat')),
  endpoint_id     TEXT,
  kind            TEXT NOT NULL CHECK (kind IN ('confirmation', 'already_subscribed', 'incident_update', 'communication',
                                               'maintenance_reminder', 'admin_alert', 'component_update', 'endpoint_test',
                                               'endpoint_disabled')),
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
INSERT INTO deliveries_new (id, source, recipient, subscriber_id, kind, subject_id, thread_id, message_id, state, attempts,
    next_attempt_at, lease_until, last_error, smtp_response, created_at, sent_at, updated_at)
  SELECT id, source, recipient, subscriber_id, kind, subject_id, thread_id, message_id, state, attempts,
    next_attempt_at, lease_until, last_error, smtp_response, created_at, sent_at, updated_at FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE INDEX deliveries_due ON deliveries(channel, state, next_attempt_at);
CREATE INDEX deliveries_lease ON deliveries(channel, state, lease_until);
CREATE INDEX deliveries_endpoint ON deliveries(endpoint_id) WHERE endpoint_id IS NOT NULL;
-- What the gate and the dashboard count across channels (pacedSignupMail, mailInFlight).
CREATE INDEX deliveries_state_due ON deliveries(state, next_attempt_at);

