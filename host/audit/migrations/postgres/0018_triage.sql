-- Triage: what an operator said about a finding or an event. Append-only:
-- every mark is a row, the latest one per target is its state.
CREATE TABLE triage (
  id        TEXT    PRIMARY KEY,
  tenant    TEXT    NOT NULL,
  event_id  TEXT    NOT NULL,
  finding   INTEGER NOT NULL,        -- the finding's seq in the event; -1 for the event itself
  state     TEXT    NOT NULL,        -- acknowledged | false_positive | escalated | open
  actor     TEXT    NOT NULL,
  note      TEXT    NOT NULL DEFAULT '',
  at_ns     BIGINT NOT NULL
);
CREATE INDEX triage_target ON triage (tenant, event_id, finding, at_ns);
CREATE INDEX triage_state ON triage (tenant, state, at_ns);
