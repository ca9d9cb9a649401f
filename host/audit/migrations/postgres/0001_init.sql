-- Events: one row per hook call. Times are Unix nanoseconds (UTC).
CREATE TABLE events (
  id           TEXT    PRIMARY KEY,
  tenant       TEXT    NOT NULL,
  type         TEXT    NOT NULL,
  request_id   TEXT,                      -- NULL when the gateway sent none
  session_id   TEXT    NOT NULL DEFAULT '',
  login        TEXT    NOT NULL DEFAULT '',
  tailnet      TEXT    NOT NULL DEFAULT '',
  node         TEXT    NOT NULL DEFAULT '',
  user_agent   TEXT    NOT NULL DEFAULT '',
  model        TEXT    NOT NULL DEFAULT '',
  provider     TEXT    NOT NULL DEFAULT '',
  api_format   TEXT    NOT NULL DEFAULT '',
  received_ns  BIGINT  NOT NULL,
  items        TEXT    NOT NULL DEFAULT '[]', -- JSON []Item, text per payload mode
  spool        BYTEA,                     -- sealed content until evaluated
  evaluated_ns BIGINT ,                   -- NULL while pending
  decision     TEXT    NOT NULL DEFAULT '',
  would_block  INTEGER NOT NULL DEFAULT 0,
  mode         TEXT    NOT NULL DEFAULT '',
  category     TEXT    NOT NULL DEFAULT '',
  message      TEXT    NOT NULL DEFAULT '',
  max_severity INTEGER NOT NULL DEFAULT 0,
  findings     INTEGER NOT NULL DEFAULT 0, -- counting (not suppressed) findings
  latency_ns   BIGINT  NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX events_request ON events (tenant, type, request_id) WHERE request_id IS NOT NULL;
CREATE INDEX events_tenant_time ON events (tenant, received_ns, id);
CREATE INDEX events_session ON events (tenant, session_id, received_ns);
CREATE INDEX events_pending ON events (received_ns) WHERE evaluated_ns IS NULL;
CREATE INDEX events_time ON events (received_ns, id);

-- Findings: redacted matches and keyed fingerprints only.
CREATE TABLE findings (
  event_id     TEXT    NOT NULL,
  seq          INTEGER NOT NULL,
  tenant       TEXT    NOT NULL,
  received_ns  BIGINT  NOT NULL,
  detector     TEXT    NOT NULL,
  rule         TEXT    NOT NULL,
  category     TEXT    NOT NULL,
  class        TEXT    NOT NULL,
  severity     INTEGER NOT NULL,
  confidence   DOUBLE PRECISION NOT NULL,
  item         INTEGER NOT NULL,
  start_pos    INTEGER NOT NULL,
  end_pos      INTEGER NOT NULL,
  message      TEXT    NOT NULL,
  redacted     TEXT    NOT NULL,
  fingerprint  TEXT    NOT NULL,
  action       TEXT    NOT NULL,
  suppressed   TEXT    NOT NULL,
  PRIMARY KEY (event_id, seq)
);
CREATE INDEX findings_tenant_time ON findings (tenant, received_ns);

-- Detector runs: how each detector fared on each event.
CREATE TABLE detector_runs (
  event_id     TEXT    NOT NULL,
  seq          INTEGER NOT NULL,
  detector     TEXT    NOT NULL,
  runtime      TEXT    NOT NULL,
  outcome      TEXT    NOT NULL,
  error        TEXT    NOT NULL,
  duration_ns  BIGINT  NOT NULL,
  findings     INTEGER NOT NULL,
  PRIMARY KEY (event_id, seq)
);
