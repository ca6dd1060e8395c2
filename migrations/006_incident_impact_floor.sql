-- The least impact an incident derives while no component it affects is down: 'minor' for incidents
-- opened in the admin form with the impact left to derive, so that an open incident never stands
-- under "All Systems Operational". NULL (the API's incidents, as on Statuspage): none.
ALTER TABLE incidents ADD COLUMN impact_floor TEXT CHECK (impact_floor IS NULL OR impact_floor IN ('minor', 'major', 'critical'));
