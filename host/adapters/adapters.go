// Package adapters holds what the protocol adapters in front of picket's
// engine share: the Host they evaluate through, the API-key headers, and
// helpers to build events from plain texts.
//
// Each protocol (Highflame's Shield API, LiteLLM's Generic Guardrail API,
// Envoy ext_proc, Claude Code hooks) is its own package below this one. It
// decodes its request into an sdk.Event, asks the Host for a verdict — the
// same engine, policy modes, findings and audit trail as the Aperture
// endpoint — and answers in its own words. No adapter knows another.
package adapters

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/picketsec/picket/host/engine"
	"github.com/picketsec/picket/sdk"
)

// Sources: the protocol an event came in by, as the trail records it.
const (
	SourceShield     = "shield"
	SourceLiteLLM    = "litellm"
	SourceEnvoy      = "envoy"
	SourceClaudeCode = "claude-code"
)

// ErrUnknownTenant is returned by Host.Evaluate when the tenant is not (or
// no longer) in the running config.
var ErrUnknownTenant = errors.New("unknown tenant")

// Request is one evaluation an adapter asks for. The verdict is given
// synchronously, so Event.Type is sdk.EventPreRequest unless the adapter
// only records (then the Host evaluates it as the post-response events).
type Request struct {
	Tenant string
	Source string
	Event  *sdk.Event
	// RequestBody is the JSON the items' Pointers point into; redaction
	// rewrites it (Verdict.RequestBody). nil when there is none.
	RequestBody []byte
	// Mode, when set, is a mode the client asks for (Shield's "mode"): it
	// can only hold the tenant's mode back (enforce → monitor), never
	// raise it.
	Mode string
}

// Host is what the adapters need of picket's server.
type Host interface {
	// Authenticate returns the tenant an API key belongs to.
	Authenticate(key string) (tenant string, ok bool)
	// Evaluate sets the event's ID and tenant, evaluates it under the
	// tenant's policy, records it in the trail with its source, and returns
	// the verdict. An error means no verdict (not loaded, unknown tenant).
	Evaluate(ctx context.Context, req Request) (*engine.Verdict, error)
	// Detectors lists the running detectors.
	Detectors() []engine.DetectorStatus
}

// Route is one HTTP endpoint of an adapter. Handlers authenticate
// themselves, so that a refusal is in the protocol's own error shape.
type Route struct {
	Method, Path string
	Handler      http.HandlerFunc
	// Claims, when set, says which requests of a path picket itself also
	// serves (GET /v1/detectors) are the adapter's; the others get
	// picket's own answer.
	Claims func(*http.Request) bool
}

// APIKey returns the API key from the headers gateways send, in order:
// Authorization: Bearer (Aperture's default, LiteLLM, Envoy) or Splunk
// (Aperture's "hec" authorization), cf-aig-authorization: Bearer
// (Aperture's "cf-aig-authorization"), X-Api-Key, X-Highflame-Apikey,
// X-Goog-Api-Key.
func APIKey(h http.Header) string {
	if v := h.Get("Authorization"); v != "" {
		if scheme, tok, ok := strings.Cut(v, " "); ok && (strings.EqualFold(scheme, "bearer") || strings.EqualFold(scheme, "splunk")) {
			return strings.TrimSpace(tok)
		}
	}
	if v := h.Get("Cf-Aig-Authorization"); v != "" {
		if scheme, tok, ok := strings.Cut(v, " "); ok && strings.EqualFold(scheme, "bearer") {
			return strings.TrimSpace(tok)
		}
		return strings.TrimSpace(v)
	}
	for _, k := range []string{"X-Api-Key", "X-Highflame-Apikey", "X-Goog-Api-Key"} {
		if v := h.Get(k); v != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// MaxBody bounds the bodies the HTTP adapters read (Aperture's own limit).
const MaxBody = 50 << 20

// ErrTooLarge is returned by ReadBody for a body over MaxBody.
var ErrTooLarge = errors.New("body larger than 50 MiB")

// ReadBody reads an HTTP request body of at most MaxBody bytes.
func ReadBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxBody {
		return nil, ErrTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxBody {
		return nil, ErrTooLarge
	}
	return b, nil
}

// Decision words, shared by the adapters' answers.
const (
	Allow  = engine.DecisionAllow
	Block  = engine.DecisionBlock
	Modify = engine.DecisionModify
)

// CountingFindings is the number of findings that count (not suppressed).
func CountingFindings(v *engine.Verdict) int {
	n := 0
	for _, f := range v.Findings {
		if f.Suppressed == "" {
			n++
		}
	}
	return n
}

// WriteJSON answers status with v encoded as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// DecodeJSON reads a request body of at most MaxBody into v. It returns
// the status and a message naming the problem when the body is too large,
// not JSON, or has a field of the wrong type (unknown fields are ignored).
func DecodeJSON(r *http.Request, v any) (int, string) {
	b, err := ReadBody(r)
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			return http.StatusRequestEntityTooLarge, err.Error()
		}
		return http.StatusBadRequest, "reading body: " + err.Error()
	}
	return DecodeBytes(b, v)
}

// DecodeBytes is DecodeJSON over bytes already read.
func DecodeBytes(b []byte, v any) (int, string) {
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		return http.StatusBadRequest, "body: empty"
	}
	if t[0] != '{' {
		return http.StatusBadRequest, "body: expected a JSON object"
	}
	if err := json.Unmarshal(t, v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			return http.StatusBadRequest, fmt.Sprintf("body: %s: expected %s, got %s", te.Field, te.Type, te.Value)
		case errors.As(err, &se):
			return http.StatusBadRequest, fmt.Sprintf("body: invalid JSON at byte %d", se.Offset)
		}
		return http.StatusBadRequest, "body: " + err.Error()
	}
	return 0, ""
}
