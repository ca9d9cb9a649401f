// Package audit is picket's durable trail: every event, its items' digests,
// the findings (redacted and fingerprinted) and the decision.
//
// The host writes an event in two steps. Record stores it before any
// evaluation (with a sealed spool of its content, so that an event recorded
// but never evaluated can be evaluated after a crash); Complete stores the
// result and drops the spool. No raw secret is ever handed to a Store: item
// text arrives already masked or empty, as the payload mode says.
package audit

import (
	"context"
	"errors"
	"time"

	"github.com/picketsec/picket/host/taxonomy"
	"github.com/picketsec/picket/sdk"
)

// ErrNotFound is returned for an event or session that does not exist (or
// belongs to another tenant).
var ErrNotFound = errors.New("not found")

// Item is what the trail keeps of one item.
type Item struct {
	Index     int        `json:"index"`
	Kind      sdk.Kind   `json:"kind"`
	Origin    sdk.Origin `json:"origin,omitempty"`
	New       bool       `json:"new,omitempty"`
	Untrusted bool       `json:"untrusted,omitempty"`
	Tool      string     `json:"tool,omitempty"` // tool name for tool_call and tool_result items
	Digest    string     `json:"digest"`         // hex SHA-256 of the item's text
	Length    int        `json:"length"`         // length of the text in bytes
	Text      string     `json:"text,omitempty"` // per payload mode: "" (none), masked (redacted) or as sent (full)
}

// Event is one hook call as recorded before evaluation.
type Event struct {
	ID        string       `json:"id"`
	Tenant    string       `json:"tenant"`
	Type      string       `json:"type"`
	RequestID string       `json:"request_id,omitempty"`
	SessionID string       `json:"session_id,omitempty"`
	Identity  sdk.Identity `json:"identity"`
	Model     string       `json:"model,omitempty"`
	Provider  string       `json:"provider,omitempty"`
	APIFormat string       `json:"api_format,omitempty"`
	// Source is the protocol the event came in by: "" for Aperture's hook,
	// else the adapter's name ("shield", "litellm", "envoy", "claude-code").
	Source     string    `json:"source,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
	Items      []Item    `json:"items"`
	// Spool is the sealed (encrypted) content needed to evaluate the event
	// again after a restart. Opaque to the store; dropped by Complete.
	Spool []byte `json:"-"`
}

// Finding is a detector finding as the trail keeps it.
type Finding struct {
	sdk.Finding
	Action     string `json:"action"`               // block | redact | alert: what policy asks for it
	Suppressed string `json:"suppressed,omitempty"` // why it does not count: "allowlist", "below_threshold", "reused"; "" when it counts
	// Evidence is the match as the trail keeps the item's text: a command
	// or an injected instruction as sent, with any secret inside it masked.
	// Empty for secrets (Redacted shows them) and with payload "none".
	Evidence string `json:"evidence,omitempty"`
	// TextSpan is [start, end) of the match in the kept item text (after
	// masking), for highlighting; absent when no text is kept.
	TextSpan []int `json:"text_span,omitempty"`
	// Taxonomy names the OWASP LLM, MITRE ATLAS / ATT&CK and CWE ids the
	// finding falls under (host/taxonomy), filled when read.
	Taxonomy *taxonomy.Refs `json:"taxonomy,omitempty"`
	// Reused marks a finding of an item judged earlier in the session: it
	// counts for the verdict, and the trail records it as suppressed
	// "reused" (the session keeps it once, with the requests it recurred in).
	Reused bool `json:"reused,omitempty"`
	// Mode, when set, holds the finding back further than its detector's
	// mode (a quarantine set by a detector held back to monitor).
	Mode string `json:"mode,omitempty"`
}

// Classify fills f.Taxonomy from its category, class and rule.
func (f *Finding) Classify() {
	if r := taxonomy.For(f.Category, f.Class, f.Rule); !r.Empty() {
		f.Taxonomy = &r
	} else {
		f.Taxonomy = nil
	}
}

// SuppressedReused is how the trail records a finding that counted for
// the verdict but was reused from an item judged earlier in the session.
const SuppressedReused = "reused"

// DetectorRun is how one detector fared on one event.
type DetectorRun struct {
	Detector string        `json:"detector"`
	Runtime  string        `json:"runtime,omitempty"`
	Outcome  string        `json:"outcome"` // ok | error | timeout | skipped | canceled
	Error    string        `json:"error,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	Findings int           `json:"findings"`
}

// Result is the outcome of evaluating an event.
type Result struct {
	Decision    string        `json:"decision"`    // allow | block | modify: what was (or, for async events, would be) answered
	WouldBlock  bool          `json:"would_block"` // policy would block (also true when monitor mode allowed it)
	Mode        string        `json:"mode"`        // off | monitor | enforce, the tenant's effective mode
	Category    string        `json:"category,omitempty"`
	Message     string        `json:"message,omitempty"`
	MaxSeverity sdk.Severity  `json:"max_severity,omitempty"`
	Findings    []Finding     `json:"findings"`
	Detectors   []DetectorRun `json:"detectors"`
	Items       []Item        `json:"items,omitempty"` // item text per payload mode, now that findings are known
	EvaluatedAt time.Time     `json:"evaluated_at"`
	Latency     time.Duration `json:"latency_ns"`
}

// Recorded is the outcome of recording one event of a RecordBatch: what
// Record returns.
type Recorded struct {
	ID  string
	Dup bool
	Err error
}

// Decided is an event with the result it was evaluated to.
type Decided struct {
	Event  *Event
	Result *Result
}

// Store is the durable trail. Implementations are safe for concurrent use.
type Store interface {
	// Record stores ev before evaluation. When an event of the same tenant,
	// type and non-empty request ID exists, it stores nothing and returns
	// dup = true with the ID of the existing event.
	Record(ctx context.Context, ev *Event) (id string, dup bool, err error)
	// Record also puts a new event on the work queue (see Queue).
	// RecordBatch records each event of evs as Record does, all in one
	// transaction (one commit serves them all), and returns one outcome
	// per event, in order. When the transaction fails, each event is
	// recorded on its own, so that one bad event fails only itself.
	RecordBatch(ctx context.Context, evs []*Event) []Recorded
	// Complete stores the result of evaluating event id, drops its spool
	// and takes it off the work queue.
	Complete(ctx context.Context, id string, res *Result) error
	// RecordDecided records events that were evaluated before they were
	// recorded (pre_request: the verdict does not wait for the store),
	// each with its result, in one transaction. Duplicates are skipped as
	// Record skips them.
	RecordDecided(ctx context.Context, batch []Decided) error
	// Pending returns up to limit events recorded but not completed, oldest
	// first, with their spools.
	Pending(ctx context.Context, limit int) ([]*Event, error)
	// Queue is the work queue of recorded events waiting for evaluation.
	Queue
	// Ping checks that the store is reachable.
	Ping(ctx context.Context) error
	Close() error

	Querier

	// Prune deletes events received before cutoff (when cutoff is not zero)
	// and then the oldest events beyond the newest maxEvents (when maxEvents
	// is positive), across all tenants, with their findings and detector
	// runs. It returns how many events it deleted.
	Prune(ctx context.Context, cutoff time.Time, maxEvents int) (int64, error)
}

// Querier reads the trail. Every method is scoped to one tenant: rows of
// another tenant are never returned, and their IDs give ErrNotFound.
type Querier interface {
	// ListEvents returns one page of the tenant's events, newest first
	// (oldest first with EventFilter.Ascending).
	ListEvents(ctx context.Context, tenant string, f EventFilter) (*EventPage, error)
	// GetEvent returns one event with its items, findings, decision and
	// detector runs.
	GetEvent(ctx context.Context, tenant, id string) (*EventDetail, error)
	// ListSessions returns one page of the tenant's sessions, most recently
	// active first.
	ListSessions(ctx context.Context, tenant string, f SessionFilter) (*SessionPage, error)
	// GetSession returns a session and its timeline, oldest event first.
	GetSession(ctx context.Context, tenant, id string) (*SessionDetail, error)
	// ListFindings returns one page of the tenant's findings, newest first.
	ListFindings(ctx context.Context, tenant string, f FindingFilter) (*FindingPage, error)
	// Stats counts the tenant's events in time buckets.
	Stats(ctx context.Context, tenant string, q StatsQuery) (*Stats, error)
}
