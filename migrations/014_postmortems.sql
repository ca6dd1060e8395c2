-- Postmortems (Statuspage's): a draft an operator writes after an incident is resolved, published
-- (the incident's status becomes postmortem, subscribers told if asked) or reverted to a draft.
ALTER TABLE incidents ADD COLUMN postmortem_draft TEXT;
ALTER TABLE incidents ADD COLUMN postmortem_draft_at TEXT;
ALTER TABLE incidents ADD COLUMN postmortem_body TEXT;
ALTER TABLE incidents ADD COLUMN postmortem_body_at TEXT;
ALTER TABLE incidents ADD COLUMN postmortem_published_at TEXT;
ALTER TABLE incidents ADD COLUMN postmortem_notified INTEGER NOT NULL DEFAULT 0;
-- The update its publication posted ("A postmortem … has been published"), removed again by a revert.
ALTER TABLE incidents ADD COLUMN postmortem_update_id TEXT;
