-- Names a viewer sees, and the descriptions shown beside them, lose their bidirectional embeddings, overrides and isolates (U+202A-U+202E,
-- U+2066-U+2069): they are taken out at input now (lib/validate.ts withoutBidiControls), and here from
-- the rows stored before. The marks (U+200E, U+200F, U+061C) stay, as at input. An alert group's
-- set_name is cleaned like its incident's name, so the group still sees the name as its own.

UPDATE incidents SET name = coalesce(nullif(trim(replace(replace(replace(replace(replace(replace(replace(replace(replace(name, char(8234), ''), char(8235), ''), char(8236), ''), char(8237), ''), char(8238), ''), char(8294), ''), char(8295), ''), char(8296), ''), char(8297), '')), ''), 'Untitled')
  WHERE name <> replace(replace(replace(replace(replace(replace(replace(replace(replace(name, char(8234), ''), char(8235), ''), char(8236), ''), char(8237), ''), char(8238), ''), char(8294), ''), char(8295), ''), char(8296), ''), char(8297), '');
UPDATE alert_groups SET set_name = coalesce(nullif(trim(replace(replace(replace(replace(replace(replace(replace(replace(replace(set_name, char(8234), ''), char(8235), ''), char(8236), ''), char(8237), ''), char(8238), ''), char(8294), ''), char(8295), ''), char(8296), ''), char(8297), '')), ''), 'Untitled')
  WHERE set_name <> replace(replace(replace(replace(replace(replace(replace(replace(replace(set_name, char(8234), ''), char(8235), ''), char(8236), ''), char(8237), ''), char(8238), ''), char(8294), ''), char(8295), ''), char(8296), ''), char(8297), '');
UPDATE alert_drafts SET name = coalesce(nullif(trim(replace(replace(replace(replace(replace(replace(replace(replace(replace(name, char(8234), ''), char(8235), ''), char(8236), ''), char(8237), ''), char(8238), ''), char(8294), ''), char(8295), ''), char(8296), ''), char(8297), '')), ''), 'Untitled')
  WHERE name <> replace(replace(replace(replace(replace(replace(replace(replace(replace(name, char(8234), ''), char(8235), ''), char(8236), ''), char(8237), ''), char(8238), ''), char(8294), ''), char(8295), ''), char(8296), ''), char(8297), '');
UPDATE components SET name = coalesce(nullif(trim(replace(replace(replace(replace(replace(replace(replace(replace(replace(name, char(8234), ''), char(8235), ''), char(8236), ''), char(8237), ''), char(8238), ''), char(8294), ''), char(8295), ''), char(8296), ''), char(8297), '')), ''), 'Untitled')
  WHERE name <> replace(replace(replace(replace(replace(replace(replace(replace(replace(name, char(8234), ''), char(8235), ''), char(8236), ''), char(8237), ''), char(8238), ''), char(8294), ''), char(8295), ''), char(8296), ''), char(8297), '');
UPDATE component_groups SET name = coalesce(nullif(trim(replace(replace(replace(replace(replace(replace(replace(replace(replace(name, char(8234), ''), char(8235), ''), char(8236), ''), char(8237), ''), char(8238), ''), char(8294), ''), char(8295), ''), char(8296), ''), char(8297), '')), ''), 'Untitled')
  WHERE name <> replace(replace(replace(replace(replace(replace(replace(replace(replace(name, char(8234), ''), char(8235), ''), char(8236), ''), char(8237), ''), char(8238), ''), char(8294), ''), char(8295), ''), char(8296), ''), char(8297), '');
UPDATE incident_update_components SET name = coalesce(nullif(trim(replace(replace(replace(replace(replace(replace(replace(replace(replace(name, char(8234), ''), char(8235), ''), char(8236), ''), char(8237), ''), char(8238), ''), char(8294), ''), char(8295), ''), char(8296), ''), char(8297), '')), ''), 'Untitled')
  WHERE name <> replace(replace(replace(replace(replace(replace(replace(replace(replace(name, char(8234), ''), char(8235), ''), char(8236), ''), char(8237), ''), char(8238), ''), char(8294), ''), char(8295), ''), char(8296), ''), char(8297), '');
UPDATE communications SET title = coalesce(nullif(trim(replace(replace(replace(replace(replace(replace(replace(replace(replace(title, char(8234), ''), char(8235), ''), char(8236), ''), char(8237), ''), char(8238), ''), char(8294), ''), char(8295), ''), char(8296), ''), char(8297), '')), ''), 'Untitled')
  WHERE title <> replace(replace(replace(replace(replace(replace(replace(replace(replace(title, char(8234), ''), char(8235), ''), char(8236), ''), char(8237), ''), char(8238), ''), char(8294), ''), char(8295), ''), char(8296), ''), char(8297), '');
UPDATE incident_templates SET name = coalesce(nullif(trim(replace(replace(replace(replace(replace(replace(replace(replace(replace(name, char(8234), ''), char(8235), ''), char(8236), ''), char(8237), ''), char(8238), ''), char(8294), ''), char(8295), ''), char(8296), ''), char(8297), '')), ''), 'Untitled')
  WHERE name <> replace(replace(replace(replace(replace(replace(replace(replace(replace(name, char(8234), ''), char(8235), ''), char(8236), ''), char(8237), ''), char(8238), ''), char(8294), ''), char(8295), ''), char(8296), ''), char(8297), '');
UPDATE incident_templates SET title = trim(replace(replace(replace(replace(replace(replace(replace(replace(replace(title, char(8234), ''), char(8235), ''), char(8236), ''), char(8237), ''), char(8238), ''), char(8294), ''), char(8295), ''), char(8296), ''), char(8297), ''))
  WHERE title <> replace(replace(replace(replace(replace(replace(replace(replace(replace(title, char(8234), ''), char(8235), ''), char(8236), ''), char(8237), ''), char(8238), ''), char(8294), ''), char(8295), ''), char(8296), ''), char(8297), '');
UPDATE settings SET value = trim(replace(replace(replace(replace(replace(replace(replace(replace(replace(value, char(8234), ''), char(8235), ''), char(8236), ''), char(8237), ''), char(8238), ''), char(8294), ''), char(8295), ''), char(8296), ''), char(8297), ''))
  WHERE key = 'brand.page_name' AND value <> replace(replace(replace(replace(replace(replace(replace(replace(replace(value, char(8234), ''), char(8235), ''), char(8236), ''), char(8237), ''), char(8238), ''), char(8294), ''), char(8295), ''), char(8296), ''), char(8297), '');

-- Descriptions are shown beside the names (sideText in lib/validate.ts).
UPDATE components SET description = trim(replace(replace(replace(replace(replace(replace(replace(replace(replace(description, char(8234), ''), char(8235), ''), char(8236), ''), char(8237), ''), char(8238), ''), char(8294), ''), char(8295), ''), char(8296), ''), char(8297), ''))
  WHERE description <> replace(replace(replace(replace(replace(replace(replace(replace(replace(description, char(8234), ''), char(8235), ''), char(8236), ''), char(8237), ''), char(8238), ''), char(8294), ''), char(8295), ''), char(8296), ''), char(8297), '');
UPDATE component_groups SET description = trim(replace(replace(replace(replace(replace(replace(replace(replace(replace(description, char(8234), ''), char(8235), ''), char(8236), ''), char(8237), ''), char(8238), ''), char(8294), ''), char(8295), ''), char(8296), ''), char(8297), ''))
  WHERE description <> replace(replace(replace(replace(replace(replace(replace(replace(replace(description, char(8234), ''), char(8235), ''), char(8236), ''), char(8237), ''), char(8238), ''), char(8294), ''), char(8295), ''), char(8296), ''), char(8297), '');

-- The v1 API's list of subscribers (domain/subscribers/subscriber-list.ts) reads each state of email
-- subscriber in the order asked (by address, by arrival, by quarantine) from an index holding every
-- column it needs, so that a page costs the entries it skips and returns, not a sort of them all.
-- They lead with the state, as the index they replace did.
CREATE INDEX subscribers_state_email ON subscribers(state, email, id, created_at, updated_at);
CREATE INDEX subscribers_state_created ON subscribers(state, created_at, id, email, updated_at);
CREATE INDEX subscribers_state_updated ON subscribers(state, updated_at, created_at, id, email);
DROP INDEX subscribers_state;
