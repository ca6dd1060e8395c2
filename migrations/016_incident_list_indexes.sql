-- What the snapshot reads after every change, read through indexes, so that each read costs its own
-- rows however long the history (each was a scan, or a sort, of every row of its table before): the
-- unresolved incidents, the 50 latest incidents and maintenance windows, the windows scheduled or in
-- progress, and the 90 days of the uptime bars (status intervals ended since, rolled-up days).
DROP INDEX incidents_kind;
CREATE INDEX incidents_kind ON incidents(kind, resolved_at, started_at DESC);
CREATE INDEX incidents_kind_started ON incidents(kind, started_at DESC, created_at DESC);
CREATE INDEX incidents_kind_scheduled ON incidents(kind, scheduled_for);
CREATE INDEX incidents_kind_status ON incidents(kind, status, scheduled_for);
CREATE INDEX component_status_log_ended ON component_status_log(ended_at);
CREATE INDEX uptime_days_day ON uptime_days(day);
