-- The tool of a finding's item (a tool call or its result), for the
-- Threats view's tool facet. Rows written before this migration get it
-- from their event's items.
ALTER TABLE findings ADD COLUMN tool TEXT NOT NULL DEFAULT '';
UPDATE findings f SET tool = COALESCE((
  SELECT x->>'tool' FROM events e, jsonb_array_elements(e.items::jsonb) x
  WHERE e.id = f.event_id AND (x->>'index')::int = f.item
  LIMIT 1), '')
WHERE f.item >= 0;
CREATE INDEX findings_tool ON findings (tenant, tool, received_ns);
