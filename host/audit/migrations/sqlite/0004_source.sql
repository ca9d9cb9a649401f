-- The protocol an event came in by: "" for Aperture's hook, else the
-- adapter's name (shield, litellm, envoy, claude-code).
ALTER TABLE events ADD COLUMN source TEXT NOT NULL DEFAULT '';
