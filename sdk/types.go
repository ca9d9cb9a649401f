package sdk

import (
	"encoding/json"
	"fmt"
	"strings"
)

// APIVersion is the version of the detector contract that this SDK implements.
// A host refuses detectors whose Info.APIVersion it does not speak.
const APIVersion = 1

// Kind says what an item of an event is.
type Kind string

// The item kinds, in the order they usually appear in a conversation.
const (
	KindSystem     Kind = "system"      // system or developer instructions
	KindPrompt     Kind = "prompt"      // text a user wrote
	KindToolCall   Kind = "tool_call"   // a tool invocation proposed by the model
	KindToolResult Kind = "tool_result" // what a tool returned: untrusted content
	KindResponse   Kind = "response"    // text the model produced
)

// Kinds lists every item kind.
var Kinds = []Kind{KindSystem, KindPrompt, KindToolCall, KindToolResult, KindResponse}

// Valid reports whether k is one of the known kinds.
func (k Kind) Valid() bool {
	switch k {
	case KindSystem, KindPrompt, KindToolCall, KindToolResult, KindResponse:
		return true
	}
	return false
}

// Origin says who wrote an item and when.
type Origin string

// Item origins.
const (
	OriginRequest  Origin = "request"  // the newest turn of the request: about to be sent
	OriginHistory  Origin = "history"  // an earlier turn the client resent
	OriginResponse Origin = "response" // the model's answer (post-response events)
)

// Event types, as Aperture names its hook events.
const (
	EventPreRequest            = "pre_request"
	EventToolCallEntireRequest = "tool_call_entire_request"
	EventEntireRequest         = "entire_request"
)

// ToolCall describes the tool behind a tool_call or tool_result item.
type ToolCall struct {
	Name      string `json:"name,omitempty"`
	CallID    string `json:"call_id,omitempty"`
	Arguments string `json:"arguments,omitempty"` // raw arguments as sent: JSON text, or free text when it did not parse
	Command   string `json:"command,omitempty"`   // the canonical shell command line, when the call runs one
}

// Item is one scannable piece of an event.
type Item struct {
	Index     int       `json:"index"`
	Kind      Kind      `json:"kind"`
	Text      string    `json:"text"` // what to scan; for a tool call, the command line or the arguments
	Tool      *ToolCall `json:"tool,omitempty"`
	Origin    Origin    `json:"origin,omitempty"`
	New       bool      `json:"new,omitempty"`       // first time the item is seen (not resent history)
	Untrusted bool      `json:"untrusted,omitempty"` // content from outside the conversation (tool output, fetched documents)
	// Pointer is the RFC 6901 JSON pointer of the string in the request body
	// that holds Text, when Text is exactly one JSON string there. The host
	// uses it to rewrite that string (redaction); detectors may ignore it.
	Pointer string `json:"pointer,omitempty"`
}

// Identity is who sent a request, as the gateway reports it.
type Identity struct {
	Login     string `json:"login,omitempty"`
	Tailnet   string `json:"tailnet,omitempty"`
	Node      string `json:"node,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
}

// Event is one normalized hook call.
type Event struct {
	ID        string   `json:"id,omitempty"`
	Type      string   `json:"type"`
	Tenant    string   `json:"tenant,omitempty"`
	SessionID string   `json:"session_id,omitempty"`
	RequestID string   `json:"request_id,omitempty"`
	Identity  Identity `json:"identity"`
	Model     string   `json:"model,omitempty"`
	Provider  string   `json:"provider,omitempty"`
	APIFormat string   `json:"api_format,omitempty"`
	Items     []Item   `json:"items"`
}

// Severity ranks findings: info < low < medium < high < critical.
// The zero value means "not set".
type Severity int

// Severities in increasing order.
const (
	SeverityInfo Severity = iota + 1
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{"", "info", "low", "medium", "high", "critical"}

// String returns the lowercase name of s, or "" when s is not set.
func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// Valid reports whether s is one of the named severities.
func (s Severity) Valid() bool { return s >= SeverityInfo && s <= SeverityCritical }

// ParseSeverity turns a name ("high") into a Severity.
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if i > 0 && strings.EqualFold(n, name) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want info, low, medium, high or critical)", name)
}

// MarshalText encodes s by name.
func (s Severity) MarshalText() ([]byte, error) {
	if s == 0 {
		return []byte{}, nil
	}
	if !s.Valid() {
		return nil, fmt.Errorf("invalid severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText decodes a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*s = 0
		return nil
	}
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Finding is one thing a detector found in one item.
//
// Message and Redacted are shown to operators and stored: they must never
// hold a raw secret. Fingerprint identifies the match without revealing it.
type Finding struct {
	Detector    string   `json:"detector"`
	Rule        string   `json:"rule"`
	Category    string   `json:"category"`        // "secrets", "injection", "command", or a detector's own
	Class       string   `json:"class,omitempty"` // finer class inside the category ("reverse shell", "aws")
	Severity    Severity `json:"severity"`
	Confidence  float64  `json:"confidence"`
	Item        int      `json:"item"`  // Index of the item in Event.Items
	Start       int      `json:"start"` // byte span in Items[Item].Text
	End         int      `json:"end"`
	Message     string   `json:"message"`
	Redacted    string   `json:"redacted,omitempty"`
	Fingerprint string   `json:"fingerprint,omitempty"`
}

// Info describes a detector: what it is, which items it wants and which
// configuration it takes.
type Info struct {
	ID          string `json:"id"`
	Version     string `json:"version"`
	APIVersion  int    `json:"api_version"`
	Description string `json:"description,omitempty"`
	Kinds       []Kind `json:"kinds"`
	// ConfigSchema is a JSON Schema (as text) of the detector's config
	// object; empty means the detector takes no config.
	ConfigSchema string `json:"config_schema,omitempty"`
	// History asks the host to send the items it already judged earlier in
	// the session too. By default a host with session memory sends each
	// item once per session and reuses its findings after; a detector whose
	// verdict on an item depends on the items around it sets History.
	// In-process detectors declare it here; for process and WASM plugins
	// (whose wire format does not carry it) the operator sets
	// `history = true` in the detector's config block.
	History bool `json:"history,omitempty"`
}

// Wants reports whether the detector declared kind k.
func (i Info) Wants(k Kind) bool {
	for _, w := range i.Kinds {
		if w == k {
			return true
		}
	}
	return false
}

// Validate checks what every host checks before loading a detector.
func (i Info) Validate() error {
	var errs []string
	if i.ID == "" {
		errs = append(errs, "empty id")
	}
	if i.APIVersion != APIVersion {
		errs = append(errs, fmt.Sprintf("api version %d, host speaks %d", i.APIVersion, APIVersion))
	}
	if len(i.Kinds) == 0 {
		errs = append(errs, "declares no item kinds")
	}
	for _, k := range i.Kinds {
		if !k.Valid() {
			errs = append(errs, fmt.Sprintf("unknown kind %q", k))
		}
	}
	if i.ConfigSchema != "" && !json.Valid([]byte(i.ConfigSchema)) {
		errs = append(errs, "config schema is not valid JSON")
	}
	if len(errs) > 0 {
		return fmt.Errorf("detector %q: %s", i.ID, strings.Join(errs, "; "))
	}
	return nil
}
