-- Session memory (issue 14): what picket has already judged in a session,
-- the credentials and injected leads it saw there, and its quarantine.
-- Keys, digests and fingerprints are keyed hashes: no item text, no secret.
-- session_key is the gateway's session id, or "auto:<hash>" derived from
-- the conversation's first items when the gateway sent none.

-- One row per session with memory: its counters, risk and quarantine.
CREATE TABLE session_memory (
  tenant           TEXT    NOT NULL,
  session_key      TEXT    NOT NULL,
  first_ns         BIGINT  NOT NULL,
  last_ns          BIGINT  NOT NULL,
  steps            INTEGER NOT NULL DEFAULT 0, -- events committed to memory
  items            INTEGER NOT NULL DEFAULT 0, -- rows in session_items (approximate between bounds checks)
  dropped          INTEGER NOT NULL DEFAULT 0, -- memory rows dropped by the size bounds
  marks            INTEGER NOT NULL DEFAULT 0, -- rows in session_marks (approximate between bounds checks)
  risk             INTEGER NOT NULL DEFAULT 0, -- highest severity of a counting finding in the session
  q_since_ns       BIGINT  NOT NULL DEFAULT 0, -- quarantined since (0: never)
  q_until_ns       BIGINT  NOT NULL DEFAULT 0, -- quarantine ends (0 with q_since_ns set: until lifted)
  q_severity       INTEGER NOT NULL DEFAULT 0,
  q_reason         TEXT    NOT NULL DEFAULT '', -- category and rule of the finding; never its text
  q_event          TEXT    NOT NULL DEFAULT '',
  q_detector       TEXT    NOT NULL DEFAULT '',
  q_mode           TEXT    NOT NULL DEFAULT '', -- the quarantining detector's hold-back ('' or monitor)
  q_lifted_ns      BIGINT  NOT NULL DEFAULT 0,
  q_lifted_by      TEXT    NOT NULL DEFAULT '',
  q_lifted_reason  TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (tenant, session_key)
);
CREATE INDEX session_memory_last ON session_memory (last_ns);

-- Items already judged: keyed digest of (kind, tool, text) and the findings
-- the detectors gave them (redacted, fingerprinted), for reuse.
CREATE TABLE session_items (
  tenant      TEXT    NOT NULL,
  session_key TEXT    NOT NULL,
  digest      TEXT    NOT NULL,
  signature   TEXT    NOT NULL, -- which detector set judged it; another set judges again
  first_ns    BIGINT  NOT NULL,
  first_event TEXT    NOT NULL,
  first_step  INTEGER NOT NULL,
  kind        TEXT    NOT NULL,
  findings    TEXT    NOT NULL DEFAULT '[]',
  PRIMARY KEY (tenant, session_key, digest)
);
CREATE INDEX session_items_age ON session_items (tenant, session_key, first_ns);

-- Marks: fingerprints of credentials (and of their encodings) and of what an
-- injected item asked for (URL, host, address, command).
CREATE TABLE session_marks (
  tenant      TEXT    NOT NULL,
  session_key TEXT    NOT NULL,
  fp          TEXT    NOT NULL,
  kind        TEXT    NOT NULL, -- secret | url | host | address | command
  label       TEXT    NOT NULL, -- e.g. "secrets/aws-access-key, base64": never the value
  first_ns    BIGINT  NOT NULL,
  first_event TEXT    NOT NULL,
  first_step  INTEGER NOT NULL,
  first_item  INTEGER NOT NULL,
  severity    INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant, session_key, fp)
);
CREATE INDEX session_marks_age ON session_marks (tenant, session_key, first_ns);

-- Findings once per session, with the requests they recurred in.
CREATE TABLE session_findings (
  tenant      TEXT    NOT NULL,
  session_key TEXT    NOT NULL,
  fkey        TEXT    NOT NULL,
  detector    TEXT    NOT NULL,
  rule        TEXT    NOT NULL,
  category    TEXT    NOT NULL,
  class       TEXT    NOT NULL,
  severity    INTEGER NOT NULL,
  message     TEXT    NOT NULL,
  redacted    TEXT    NOT NULL,
  fingerprint TEXT    NOT NULL,
  suppressed  TEXT    NOT NULL,
  first_ns    BIGINT  NOT NULL,
  first_event TEXT    NOT NULL,
  first_step  INTEGER NOT NULL,
  last_ns     BIGINT  NOT NULL,
  last_event  TEXT    NOT NULL,
  requests    INTEGER NOT NULL DEFAULT 1, -- events it was found or reused in; the trail lists them
                                         -- (the event's finding of the same fingerprint)
  PRIMARY KEY (tenant, session_key, fkey)
);
CREATE INDEX session_findings_age ON session_findings (tenant, session_key, first_ns);
