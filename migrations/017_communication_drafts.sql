-- Drafts of official notices (and of corrections to them). A draft is not a communication: the public
-- documents, the feeds, the APIs and the outbox read `communications` only, so nothing of a draft can
-- leak before it is published. Publishing inserts the communication under the draft's id and deletes
-- the draft, in one transaction. Fields may be incomplete here: a published notice must be complete.
CREATE TABLE communication_drafts (
  id            TEXT PRIMARY KEY,
  -- A draft correction: the version it would replace (published versions are never edited).
  replaces_id   TEXT REFERENCES communications(id),
  category      TEXT NOT NULL CHECK (category IN ('data_protection', 'security_advisory', 'general')),
  title         TEXT NOT NULL DEFAULT '',
  what_happened TEXT NOT NULL DEFAULT '',
  data_involved TEXT NOT NULL DEFAULT '',
  consequences  TEXT NOT NULL DEFAULT '',
  measures      TEXT NOT NULL DEFAULT '',
  what_to_do    TEXT NOT NULL DEFAULT '',
  contact       TEXT NOT NULL DEFAULT '',
  body          TEXT NOT NULL DEFAULT '',
  incident_id   TEXT REFERENCES incidents(id) ON DELETE SET NULL,
  -- Bumped by every save: a save or a publication names the revision it was made from, so two admins
  -- never overwrite each other unseen, and what is published is what was previewed.
  revision      INTEGER NOT NULL DEFAULT 1,
  created_by    TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  updated_by    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);
CREATE INDEX communication_drafts_updated ON communication_drafts(updated_at);
