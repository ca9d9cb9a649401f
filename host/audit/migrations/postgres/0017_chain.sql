-- Tamper evidence: every decision (an event's result, as Complete or
-- RecordDecided wrote it) is one link of a hash chain per tenant. A link's
-- hash covers the previous link's hash and the event's row and findings as
-- stored, so that an edited, deleted or reordered decision breaks the chain
-- (picket export --verify). Decisions recorded before this migration are
-- not covered.
CREATE TABLE chain_heads (
  tenant TEXT    PRIMARY KEY,
  seq    BIGINT NOT NULL,        -- the last link's seq (0: none yet)
  hash   TEXT    NOT NULL         -- the last link's hash
);
CREATE TABLE chain (
  tenant    TEXT    NOT NULL,
  seq       BIGINT NOT NULL,     -- 1, 2, ... per tenant
  event_id  TEXT    NOT NULL,
  prev_hash TEXT    NOT NULL,
  hash      TEXT    NOT NULL,
  at_ns     BIGINT NOT NULL,
  pruned    INTEGER NOT NULL DEFAULT 0, -- 1 once retention deleted the event: only the linkage is checked
  PRIMARY KEY (tenant, seq)
);
CREATE INDEX chain_event ON chain (event_id, seq);
