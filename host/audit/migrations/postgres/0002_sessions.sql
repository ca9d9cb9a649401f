-- Sessions: one row per (tenant, session), kept up to date by Record,
-- Complete and Prune, so that listing sessions reads a page, not the trail.
CREATE TABLE sessions (
  tenant        TEXT    NOT NULL,
  session_id    TEXT    NOT NULL,
  login         TEXT    NOT NULL DEFAULT '',
  user_agent    TEXT    NOT NULL DEFAULT '',
  first_ns      BIGINT  NOT NULL,
  last_ns       BIGINT  NOT NULL,
  requests      INTEGER NOT NULL DEFAULT 0,
  findings      INTEGER NOT NULL DEFAULT 0,
  blocked       INTEGER NOT NULL DEFAULT 0,
  would_block   INTEGER NOT NULL DEFAULT 0,
  max_severity  INTEGER NOT NULL DEFAULT 0,
  last_event_id TEXT    NOT NULL,           -- the session's latest event
  PRIMARY KEY (tenant, session_id)
);
CREATE INDEX sessions_last ON sessions (tenant, last_ns, session_id);

INSERT INTO sessions (tenant, session_id, login, user_agent, first_ns, last_ns, requests, findings, blocked, would_block, max_severity, last_event_id)
SELECT e.tenant, e.session_id, MAX(e.login), MAX(e.user_agent), MIN(e.received_ns), MAX(e.received_ns), COUNT(*),
  COALESCE(SUM(e.findings), 0),
  SUM(CASE WHEN e.decision = 'block' THEN 1 ELSE 0 END),
  SUM(CASE WHEN e.would_block = 1 AND e.decision <> 'block' THEN 1 ELSE 0 END),
  MAX(e.max_severity),
  (SELECT l.id FROM events l WHERE l.tenant = e.tenant AND l.session_id = e.session_id ORDER BY l.received_ns DESC, l.id DESC LIMIT 1)
FROM events e WHERE e.session_id <> '' GROUP BY e.tenant, e.session_id;

-- A session's timeline in order, without a sort.
DROP INDEX events_session;
CREATE INDEX events_session ON events (tenant, session_id, received_ns, id);

-- Stats read only this index.
CREATE INDEX events_stats ON events (tenant, received_ns, evaluated_ns, decision, would_block, latency_ns);
