-- One-time submission tokens of the admin's create forms: a form submitted twice (the back button, a
-- double click, a retried POST) shows the first result instead of creating a second incident and
-- mailing every subscriber again. `location` is where the first submission led; NULL while it runs.
-- `body_hash`: what was sent, so that a changed form sent with the same token is told, not dropped.
CREATE TABLE form_submissions (
  token TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  location TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX form_submissions_created ON form_submissions (created_at);
