-- Incident templates (Statuspage's incident_templates): what the new-incident form starts from when there is
-- no time to write. They were built into the code; now admins edit them, and the API reads and adds them.
-- group_id is the component group a template belongs to (the picker lists it under the group's name);
-- component_ids are the components it lists as affected (the incident's component_ids, no status change).
CREATE TABLE incident_templates (
  id                        TEXT PRIMARY KEY,
  name                      TEXT NOT NULL,
  title                     TEXT NOT NULL DEFAULT '',
  body                      TEXT NOT NULL DEFAULT '',
  group_id                  TEXT REFERENCES component_groups(id) ON DELETE SET NULL,
  update_status             TEXT NOT NULL DEFAULT 'investigating'
                            CHECK (update_status IN ('investigating', 'identified', 'monitoring', 'resolved', 'postmortem')),
  should_send_notifications INTEGER NOT NULL DEFAULT 1 CHECK (should_send_notifications IN (0, 1)),
  created_at                TEXT NOT NULL,
  updated_at                TEXT NOT NULL
);
CREATE INDEX incident_templates_group ON incident_templates(group_id);

CREATE TABLE incident_template_components (
  template_id  TEXT NOT NULL REFERENCES incident_templates(id) ON DELETE CASCADE,
  component_id TEXT NOT NULL REFERENCES components(id) ON DELETE CASCADE,
  PRIMARY KEY (template_id, component_id)
);
CREATE INDEX incident_template_components_component ON incident_template_components(component_id);

-- The four templates that were built in, in their order, with the status and the notification they set.
INSERT INTO incident_templates (id, name, title, body, update_status, should_send_notifications, created_at, updated_at)
SELECT lower(hex(randomblob(6))), name, title, body, update_status, 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
FROM (
  SELECT 1 AS n, 'Investigating an attack' AS name, 'Large-scale malicious attacks on our services' AS title,
         'Our services are the target of a large-scale malicious attack. Some requests may fail or be slow while we filter the traffic. We will post an update within 30 minutes.' AS body,
         'investigating' AS update_status
  UNION ALL SELECT 2, 'API outage', 'API outage',
         'Requests to our API are failing. We are investigating and will post an update within 30 minutes.', 'investigating'
  UNION ALL SELECT 3, 'Degraded performance', 'Degraded performance',
         'Some requests are slower than usual. We are investigating the cause.', 'investigating'
  UNION ALL SELECT 4, 'Resolved', '', 'This incident has been resolved. Thank you for your patience.', 'resolved'
)
ORDER BY n;
