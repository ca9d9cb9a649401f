package audit

import (
	"time"

	"github.com/picketsec/picket/sdk"
)

// Sink receives evaluated events as they are completed, for alerting
// pipelines (host/sink has the webhook and syslog sinks). Emit is called
// on the evaluation path: it must never block (implementations queue, and
// count what they drop) and never fail the caller.
type Sink interface {
	Emit(ev *Event, res *Result)
}

// Sinks fans an event out to several sinks.
type Sinks []Sink

// Emit implements Sink.
func (ss Sinks) Emit(ev *Event, res *Result) {
	for _, s := range ss {
		s.Emit(ev, res)
	}
}

// Alert is what the sinks send for one event: its verdict and the
// counting findings at or above the sink's severity. It never holds item
// text.
type Alert struct {
	EventID    string       `json:"event_id"`
	Tenant     string       `json:"tenant"`
	Type       string       `json:"type"`
	ReceivedAt time.Time    `json:"received_at"`
	SessionID  string       `json:"session_id,omitempty"`
	RequestID  string       `json:"request_id,omitempty"`
	Identity   sdk.Identity `json:"identity"`
	Model      string       `json:"model,omitempty"`
	Decision   string       `json:"decision"`
	WouldBlock bool         `json:"would_block"`
	Mode       string       `json:"mode,omitempty"`
	Category   string       `json:"category,omitempty"`
	Message    string       `json:"message,omitempty"`
	Findings   []Finding    `json:"findings"`
}

// AlertFor returns the alert for ev, or nil when no counting finding
// reaches min. The sinks themselves live in host/sink.
func AlertFor(ev *Event, res *Result, min sdk.Severity) *Alert {
	if ev == nil || res == nil {
		return nil
	}
	var fs []Finding
	for _, f := range res.Findings {
		if f.Suppressed == "" && f.Severity >= min {
			fs = append(fs, f)
		}
	}
	if len(fs) == 0 {
		return nil
	}
	return &Alert{
		EventID: ev.ID, Tenant: ev.Tenant, Type: ev.Type, ReceivedAt: ev.ReceivedAt, SessionID: ev.SessionID, RequestID: ev.RequestID,
		Identity: ev.Identity, Model: ev.Model, Decision: res.Decision, WouldBlock: res.WouldBlock, Mode: res.Mode,
		Category: res.Category, Message: res.Message, Findings: fs,
	}
}
