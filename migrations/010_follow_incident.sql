-- "Follow this incident" on an incident page: an address may follow single incidents (and maintenance
-- windows) without subscribing to the page. scope 'incidents': only what it follows; 'page': what its
-- components say, and what it follows besides.
ALTER TABLE subscribers ADD COLUMN scope TEXT NOT NULL DEFAULT 'page' CHECK (scope IN ('page', 'incidents'));
CREATE TABLE subscriber_incidents (
  subscriber_id TEXT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
  incident_id   TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  created_at    TEXT NOT NULL,
  PRIMARY KEY (subscriber_id, incident_id)
);
CREATE INDEX subscriber_incidents_incident ON subscriber_incidents(incident_id);
