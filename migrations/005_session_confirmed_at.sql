-- When the session's user last typed their password again (a sensitive action, or to open a list of
-- personal data): subscriber lists and exports need a confirmation of the last 10 minutes.
ALTER TABLE sessions ADD COLUMN confirmed_at TEXT;
