-- The tool of a finding's item (a tool call or its result), for the
-- Threats view's tool facet. Rows written before this migration get it
-- from their event's items.
ALTER TABLE findings ADD COLUMN tool TEXT NOT NULL DEFAULT '';
UPDATE findings SET tool = COALESCE((
  SELECT json_extract(j.value, '$.tool') FROM events e, json_each(e.items) j
  WHERE e.id = findings.event_id AND json_extract(j.value, '$.index') = findings.item
  LIMIT 1), '')
WHERE item >= 0;
CREATE INDEX findings_tool ON findings (tenant, tool, received_ns);
