package audit

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/picketsec/picket/sdk"
)

// ErrBadQuery is returned (wrapped, with the name of the bad parameter) for
// a filter, cursor or stats query the store cannot run.
var ErrBadQuery = errors.New("bad query")

// QueryError names the query parameter that is wrong.
type QueryError struct {
	Param  string // "cursor", "limit", "since", "bucket", ...
	Reason string
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("audit: bad %s: %s", e.Param, e.Reason)
}

// Is makes errors.Is(err, ErrBadQuery) true for a *QueryError.
func (e *QueryError) Is(target error) bool { return target == ErrBadQuery }

func badQuery(param, format string, args ...any) error {
	return &QueryError{Param: param, Reason: fmt.Sprintf(format, args...)}
}

// Page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
	// MaxTimeline is the most events GetSession returns in a timeline.
	MaxTimeline = 2000
	// MaxBuckets is the most time buckets Stats returns.
	MaxBuckets = 2000
)

// Status values of an event.
const (
	StatusPending   = "pending"   // recorded, not yet evaluated
	StatusEvaluated = "evaluated" // Complete was called
)

// EventFilter selects events. Zero fields do not filter.
type EventFilter struct {
	SessionID string
	Login     string
	Type      string // pre_request, tool_call_entire_request, entire_request
	Decision  string // allow | block | modify | pending
	// WouldBlock, when set, keeps events whose would_block is this value.
	WouldBlock *bool
	// Detector, Category and MinSeverity keep events with at least one
	// counting (not suppressed) finding that matches all three.
	Detector    string
	Category    string
	MinSeverity sdk.Severity
	// Triage keeps events whose latest triage mark (on the event or one
	// of its findings) is this state, or "untriaged".
	Triage    string
	Since     time.Time // inclusive
	Until     time.Time // exclusive
	Cursor    string    // from a previous page's Next
	Limit     int       // 1..MaxLimit; 0 means DefaultLimit
	Ascending bool      // oldest first (export); the default is newest first
}

// EventSummary is one row of an event list.
type EventSummary struct {
	ID          string        `json:"id"`
	Type        string        `json:"type"`
	RequestID   string        `json:"request_id,omitempty"`
	SessionID   string        `json:"session_id,omitempty"`
	Identity    sdk.Identity  `json:"identity"`
	Model       string        `json:"model,omitempty"`
	Provider    string        `json:"provider,omitempty"`
	APIFormat   string        `json:"api_format,omitempty"`
	Source      string        `json:"source,omitempty"` // "" for Aperture's hook, else the adapter
	ReceivedAt  time.Time     `json:"received_at"`
	Status      string        `json:"status"`
	Decision    string        `json:"decision,omitempty"`
	WouldBlock  bool          `json:"would_block"`
	Mode        string        `json:"mode,omitempty"`
	Category    string        `json:"category,omitempty"`
	Message     string        `json:"message,omitempty"`
	MaxSeverity sdk.Severity  `json:"max_severity,omitempty"`
	Findings    int           `json:"findings"`
	Latency     time.Duration `json:"latency_ns"`
}

// EventPage is one page of events. Next is empty on the last page.
type EventPage struct {
	Events []EventSummary `json:"events"`
	Next   string         `json:"next,omitempty"`
}

// EventDetail is one event with everything the trail keeps of it. Result
// is nil while the event is pending; its Items are moved to Event.Items.
type EventDetail struct {
	Event
	Status string  `json:"status"`
	Result *Result `json:"result,omitempty"`
}

// SessionFilter selects sessions. Since and Until bound the sessions' events.
type SessionFilter struct {
	Login string
	// Agent keeps sessions whose user agent starts with it ("claude-cli"
	// matches every version).
	Agent string
	// MinRisk keeps sessions whose SessionSummary.Risk is at least this:
	// 100 keeps the quarantined, 40 those with a high finding or worse.
	MinRisk int
	Since   time.Time
	Until   time.Time
	Cursor  string
	Limit   int
	Sort    string // SortRecent (default) or SortRisk
}

// Session list orders.
const (
	SortRecent = "recent" // most recently active first
	SortRisk   = "risk"   // quarantined first, then by severity and blocks; then most recent
)

// SessionSummary is one row of a session list.
type SessionSummary struct {
	ID           string        `json:"id"`
	Login        string        `json:"login,omitempty"`
	UserAgent    string        `json:"user_agent,omitempty"`
	Started      time.Time     `json:"started"`
	LastSeen     time.Time     `json:"last_seen"`
	Duration     time.Duration `json:"duration_ns"`
	Requests     int           `json:"requests"`
	Findings     int           `json:"findings"`
	Blocked      int           `json:"blocked"`
	WouldBlock   int           `json:"would_block"` // would have been blocked but were not
	MaxSeverity  sdk.Severity  `json:"max_severity,omitempty"`
	LastDecision string        `json:"last_decision,omitempty"` // decision of the latest event, "pending" when not evaluated
	// Risk orders sessions: 100 when quarantined now, plus 10 per level of
	// the highest severity (of its events and of its session findings),
	// plus its blocked and would-block events up to 9.
	Risk        int  `json:"risk"`
	Quarantined bool `json:"quarantined,omitempty"`
}

// SessionPage is one page of sessions.
type SessionPage struct {
	Sessions []SessionSummary `json:"sessions"`
	Next     string           `json:"next,omitempty"`
}

// SessionDetail is a session with its timeline, oldest event first.
type SessionDetail struct {
	SessionSummary
	Events    []EventDetail `json:"events"`
	Truncated bool          `json:"truncated,omitempty"` // more than MaxTimeline events; the newest are shown
}

// FindingFilter selects findings.
type FindingFilter struct {
	SessionID         string
	Detector          string
	Category          string
	MinSeverity       sdk.Severity
	IncludeSuppressed bool
	// Triage keeps findings in this triage state (acknowledged,
	// false_positive, escalated) or "untriaged".
	Triage string
	// Decision, Login and Agent keep findings of events with this
	// decision (allow, block, modify), login, or user agent starting
	// with Agent ("claude-cli" matches every version).
	Decision string
	Login    string
	Agent    string
	// Tool keeps findings in a call to, or a result of, this tool.
	Tool   string
	Since  time.Time
	Until  time.Time
	Cursor string
	Limit  int
}

// FindingRow is a finding with the event it was found in.
type FindingRow struct {
	Finding
	EventID    string    `json:"event_id"`
	EventType  string    `json:"event_type"`
	SessionID  string    `json:"session_id,omitempty"`
	Login      string    `json:"login,omitempty"`
	UserAgent  string    `json:"user_agent,omitempty"`
	Tool       string    `json:"tool,omitempty"` // the tool of the finding's item, when it is a tool call or result
	ReceivedAt time.Time `json:"received_at"`
	Decision   string    `json:"decision,omitempty"`
	WouldBlock bool      `json:"would_block"`
	Triage     string    `json:"triage,omitempty"` // the current triage state; "" when untriaged
}

// FindingPage is one page of findings.
type FindingPage struct {
	Findings []FindingRow `json:"findings"`
	Next     string       `json:"next,omitempty"`
}

// StatsQuery asks for counts between Since and Until in buckets of Bucket.
// Zero values mean the last 24 hours in hourly buckets.
type StatsQuery struct {
	Since  time.Time
	Until  time.Time
	Bucket time.Duration
}

// CategoryCounts counts the events with a counting finding of one category.
type CategoryCounts struct {
	Events     int `json:"events"`
	Allowed    int `json:"allowed"`
	Blocked    int `json:"blocked"`
	Modified   int `json:"modified"`
	WouldBlock int `json:"would_block"` // would have been blocked but were not
}

// StatsBucket holds the counts of one time bucket.
type StatsBucket struct {
	Start      time.Time                 `json:"start"`
	Events     int                       `json:"events"`
	Allowed    int                       `json:"allowed"`
	Blocked    int                       `json:"blocked"`
	Modified   int                       `json:"modified"`
	WouldBlock int                       `json:"would_block"` // would have been blocked but were not (monitor mode, async events)
	Pending    int                       `json:"pending"`
	Categories map[string]CategoryCounts `json:"categories"`
	LatencyP50 time.Duration             `json:"latency_p50_ns"`
	LatencyP99 time.Duration             `json:"latency_p99_ns"`
}

// Stats is the answer to a StatsQuery. Buckets cover the whole range, empty
// ones included, oldest first.
type Stats struct {
	Since      time.Time     `json:"since"`
	Until      time.Time     `json:"until"`
	Bucket     time.Duration `json:"bucket_ns"`
	Buckets    []StatsBucket `json:"buckets"`
	Totals     StatsBucket   `json:"totals"`
	Categories []string      `json:"categories"`
}

// normalize checks and fills q; now is the current time.
func (q *StatsQuery) normalize(now time.Time) error {
	if q.Until.IsZero() {
		q.Until = now
	}
	if q.Since.IsZero() {
		q.Since = q.Until.Add(-24 * time.Hour)
	}
	if !q.Since.Before(q.Until) {
		return badQuery("since", "must be before until")
	}
	if q.Bucket == 0 {
		q.Bucket = time.Hour
	}
	if q.Bucket < time.Second {
		return badQuery("bucket", "must be at least 1s")
	}
	first := q.Since.UnixNano() / int64(q.Bucket)
	last := (q.Until.UnixNano() - 1) / int64(q.Bucket)
	if n := last - first + 1; n > MaxBuckets {
		return badQuery("bucket", "%d buckets asked, at most %d", n, MaxBuckets)
	}
	return nil
}

func limitOf(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultLimit, nil
	case n < 0 || n > MaxLimit:
		return 0, badQuery("limit", "must be between 1 and %d", MaxLimit)
	}
	return n, nil
}

// cursor is the position after the last row of a page. It is opaque to
// clients: base64url of a small JSON object.
type cursor struct {
	At  int64  `json:"t"`           // received_ns, or a session's last_ns
	ID  string `json:"i"`           // event or session ID
	Seq int    `json:"s,omitempty"` // finding sequence number
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 1024 {
		return nil, badQuery("cursor", "not a cursor from this API")
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.ID == "" {
		return nil, badQuery("cursor", "not a cursor from this API")
	}
	return &c, nil
}
