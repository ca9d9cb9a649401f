package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/picketsec/picket/sdk"
)

// The sessions table is a rollup of events by (tenant, session_id). Record
// adds to it, Complete adds the result, and Prune recomputes the sessions
// whose events it deleted; so listing sessions reads one page of it.
// Aggregates follow these rules, in the rollup and in a recomputation alike:
// login and user agent are the greatest seen (sessions rarely change them),
// findings count the counting findings, blocked counts block decisions,
// would_block counts events that would have been blocked but were not.

// sessionRecord counts a newly recorded event into its session.
const sessionRecord = `INSERT INTO sessions (tenant, session_id, login, user_agent, first_ns, last_ns, requests, last_event_id)
VALUES (?, ?, ?, ?, ?, ?, 1, ?)
` + sessionCount

// sessionCount adds the events of an inserted sessions row to the
// session's row when there is one.
const sessionCount = `ON CONFLICT (tenant, session_id) DO UPDATE SET
  login = CASE WHEN excluded.login > sessions.login THEN excluded.login ELSE sessions.login END,
  user_agent = CASE WHEN excluded.user_agent > sessions.user_agent THEN excluded.user_agent ELSE sessions.user_agent END,
  first_ns = CASE WHEN excluded.first_ns < sessions.first_ns THEN excluded.first_ns ELSE sessions.first_ns END,
  last_event_id = CASE WHEN excluded.last_ns > sessions.last_ns OR (excluded.last_ns = sessions.last_ns AND excluded.last_event_id > sessions.last_event_id)
    THEN excluded.last_event_id ELSE sessions.last_event_id END,
  last_ns = CASE WHEN excluded.last_ns > sessions.last_ns THEN excluded.last_ns ELSE sessions.last_ns END,
  requests = sessions.requests + excluded.requests`

// sessionComplete adds a first result to its session.
const sessionComplete = `UPDATE sessions SET findings = findings + ?, blocked = blocked + ?, would_block = would_block + ?,
  max_severity = CASE WHEN ? > max_severity THEN ? ELSE max_severity END
WHERE tenant = ? AND session_id = ?`

// sessionRebuild recomputes one session from its events (none: no row).
const sessionRebuild = `INSERT INTO sessions (tenant, session_id, login, user_agent, first_ns, last_ns, requests, findings, blocked, would_block, max_severity, last_event_id)
SELECT e.tenant, e.session_id, MAX(e.login), MAX(e.user_agent), MIN(e.received_ns), MAX(e.received_ns), COUNT(*),
  COALESCE(SUM(e.findings), 0),
  SUM(CASE WHEN e.decision = 'block' THEN 1 ELSE 0 END),
  SUM(CASE WHEN e.would_block = 1 AND e.decision <> 'block' THEN 1 ELSE 0 END),
  MAX(e.max_severity),
  (SELECT l.id FROM events l WHERE l.tenant = e.tenant AND l.session_id = e.session_id ORDER BY l.received_ns DESC, l.id DESC LIMIT 1)
FROM events e WHERE e.tenant = ? AND e.session_id = ? GROUP BY e.tenant, e.session_id`

func (s *sqlStore) rebuildSession(ctx context.Context, c conn, tenant, session string) error {
	if _, err := c.exec(ctx, `DELETE FROM sessions WHERE tenant = ? AND session_id = ?`, tenant, session); err != nil {
		return err
	}
	_, err := c.exec(ctx, sessionRebuild, tenant, session)
	return err
}

// countsOf returns what an evaluated event adds to its session's blocked
// and would_block counts.
func countsOf(decision string, wouldBlock bool) (blocked, would int) {
	if decision == "block" {
		return 1, 0
	}
	if wouldBlock {
		return 0, 1
	}
	return 0, 0
}

// quarantinedExpr is 1 when the session's quarantine holds at the
// argument's time (Unix ns), else 0; riskExpr is SessionSummary.Risk.
const (
	quarantinedExpr = `(CASE WHEN m.q_since_ns <> 0 AND m.q_lifted_ns = 0 AND (m.q_until_ns = 0 OR m.q_until_ns > ?) THEN 1 ELSE 0 END)`
	riskExpr        = `(` + quarantinedExpr + ` * 100 + 10 * (CASE WHEN COALESCE(m.risk, 0) > s.max_severity THEN m.risk ELSE s.max_severity END)
  + (CASE WHEN s.blocked + s.would_block > 9 THEN 9 ELSE s.blocked + s.would_block END))`
)

// sessionCols take two arguments: the time, twice.
const sessionCols = `s.session_id, s.login, s.user_agent, s.first_ns, s.last_ns, s.requests, s.findings, s.max_severity, s.blocked, s.would_block,
COALESCE(l.decision, ''), l.evaluated_ns, ` + quarantinedExpr + `, ` + riskExpr

const sessionFrom = ` FROM sessions s LEFT JOIN events l ON l.id = s.last_event_id
LEFT JOIN session_memory m ON m.tenant = s.tenant AND m.session_key = s.session_id`

func scanSession(r scanner) (SessionSummary, int64, error) {
	var ss SessionSummary
	var first, last int64
	var sev int
	var evaluated sql.NullInt64
	var quarantined int
	err := r.Scan(&ss.ID, &ss.Login, &ss.UserAgent, &first, &last, &ss.Requests, &ss.Findings, &sev, &ss.Blocked, &ss.WouldBlock,
		&ss.LastDecision, &evaluated, &quarantined, &ss.Risk)
	ss.Quarantined = quarantined == 1
	ss.Started, ss.LastSeen = fromNS(first), fromNS(last)
	ss.Duration = time.Duration(last - first)
	ss.MaxSeverity = sdk.Severity(sev)
	if !evaluated.Valid {
		ss.LastDecision = StatusPending
	}
	return ss, last, err
}

// ListSessions implements Querier. Since and Until keep the sessions
// active in the range (some event in it); their counts cover all their
// events.
func (s *sqlStore) ListSessions(ctx context.Context, tenant string, f SessionFilter) (*SessionPage, error) {
	limit, err := limitOf(f.Limit)
	if err != nil {
		return nil, err
	}
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	var w where
	w.add("s.tenant = ?", tenant)
	if f.Login != "" {
		w.add("s.login = ?", f.Login)
	}
	if f.Agent != "" {
		w.add("SUBSTR(s.user_agent, 1, ?) = ?", len(f.Agent), f.Agent)
	}
	now := s.now().UnixNano()
	if f.MinRisk < 0 {
		return nil, badQuery("min_risk", "must not be negative")
	}
	if f.MinRisk > 0 {
		w.add(riskExpr+" >= ?", now, f.MinRisk)
	}
	if !f.Since.IsZero() {
		w.add("s.last_ns >= ?", f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		w.add("s.first_ns < ?", f.Until.UnixNano())
	}
	order := ` ORDER BY s.last_ns DESC, s.session_id DESC`
	switch f.Sort {
	case "", SortRecent:
		if cur != nil {
			w.add("(s.last_ns < ? OR (s.last_ns = ? AND s.session_id < ?))", cur.At, cur.At, cur.ID)
		}
	case SortRisk:
		order = ` ORDER BY ` + riskExpr + ` DESC, s.last_ns DESC, s.session_id DESC`
		if cur != nil {
			w.add("("+riskExpr+" < ? OR ("+riskExpr+" = ? AND (s.last_ns < ? OR (s.last_ns = ? AND s.session_id < ?))))", now, cur.Seq, now, cur.Seq, cur.At, cur.At, cur.ID)
		}
	default:
		return nil, badQuery("sort", "want recent or risk")
	}
	args := append([]any{now, now}, w.args...)
	if f.Sort == SortRisk {
		args = append(args, now)
	}
	q := `SELECT ` + sessionCols + sessionFrom + w.String() + order + fmt.Sprintf(` LIMIT %d`, limit+1)
	rows, err := s.db.query(ctx, q, args...)
	if err != nil {
		return nil, s.errf("list sessions", err)
	}
	defer rows.Close()
	page := &SessionPage{Sessions: []SessionSummary{}}
	var lastAt int64
	for rows.Next() {
		ss, at, err := scanSession(rows)
		if err != nil {
			return nil, s.errf("list sessions", err)
		}
		if len(page.Sessions) == limit {
			prev := page.Sessions[len(page.Sessions)-1]
			page.Next = cursor{At: lastAt, ID: prev.ID, Seq: prev.Risk}.encode()
			break
		}
		page.Sessions = append(page.Sessions, ss)
		lastAt = at
	}
	if err := rows.Err(); err != nil {
		return nil, s.errf("list sessions", err)
	}
	return page, nil
}

// GetSession implements Querier.
func (s *sqlStore) GetSession(ctx context.Context, tenant, id string) (*SessionDetail, error) {
	if id == "" {
		return nil, fmt.Errorf("audit: session: %w", ErrNotFound)
	}
	now := s.now().UnixNano()
	row := s.db.queryRow(ctx, `SELECT `+sessionCols+sessionFrom+` WHERE s.tenant = ? AND s.session_id = ?`, now, now, tenant, id)
	sum, _, err := scanSession(row)
	if errors.Is(err, errNoRows) {
		return nil, fmt.Errorf("audit: session %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, s.errf("get session", err)
	}
	// The newest MaxTimeline events, shown oldest first.
	evs, err := s.details(ctx, tenant, "e.session_id = ?", []any{id}, "e.received_ns DESC, e.id DESC", MaxTimeline)
	if err != nil {
		return nil, s.errf("get session", err)
	}
	for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
		evs[i], evs[j] = evs[j], evs[i]
	}
	return &SessionDetail{SessionSummary: sum, Events: evs, Truncated: sum.Requests > len(evs)}, nil
}
