-- A form an operator sent after their session had ended: kept for them (and only them) until they
-- sign in again and land back on it with everything they typed (never a password). The daily purge
-- drops those older than a day.
CREATE TABLE saved_forms (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  form_path TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX saved_forms_created ON saved_forms (created_at);
