// Package adapterstest is a fake adapters.Host for the adapters' wire
// tests: it answers a fixed verdict and keeps the requests it got.
package adapterstest

import (
	"context"
	"sync"
	"time"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/adapters"
	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/engine"
	"github.com/picketsec/picket/sdk"
)

// Key is the API key the fake accepts, for tenant "t1".
const Key = "pk_fake"

// Host is a fake adapters.Host.
type Host struct {
	mu       sync.Mutex
	Verdict  *engine.Verdict // answered by Evaluate (a copy); nil: allow
	Then     *engine.Verdict // when set, answered from the second call on
	Err      error           // returned by Evaluate when set
	Requests []adapters.Request
	List     []engine.DetectorStatus
}

// Authenticate accepts Key.
func (h *Host) Authenticate(key string) (string, bool) { return "t1", key == Key }

// Evaluate records req and answers h.Verdict.
func (h *Host) Evaluate(_ context.Context, req adapters.Request) (*engine.Verdict, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	req.Event.ID = "ev_test"
	req.Event.Tenant = req.Tenant
	h.Requests = append(h.Requests, req)
	if h.Err != nil {
		return nil, h.Err
	}
	src := h.Verdict
	if h.Then != nil && len(h.Requests) > 1 {
		src = h.Then
	}
	if src == nil {
		return Allow(), nil
	}
	v := *src
	return &v, nil
}

// Detectors returns h.List.
func (h *Host) Detectors() []engine.DetectorStatus { return h.List }

// Last is the last request Evaluate got.
func (h *Host) Last() adapters.Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.Requests) == 0 {
		return adapters.Request{}
	}
	return h.Requests[len(h.Requests)-1]
}

var at = time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)

// Allow is an enforce-mode verdict with no finding.
func Allow() *engine.Verdict {
	return &engine.Verdict{Result: audit.Result{Decision: engine.DecisionAllow, Mode: config.ModeEnforce,
		Findings: []audit.Finding{}, Detectors: []audit.DetectorRun{{Detector: "secrets", Outcome: "ok", Duration: 2 * time.Millisecond}},
		EvaluatedAt: at, Latency: 3 * time.Millisecond}, StatusCode: 403}
}

// Block is an enforce-mode block for one finding of category.
func Block(category, message string) *engine.Verdict {
	v := Allow()
	v.Decision, v.WouldBlock, v.Category, v.Message = engine.DecisionBlock, true, category, message
	v.MaxSeverity = sdk.SeverityCritical
	v.Findings = []audit.Finding{{Finding: sdk.Finding{Detector: "secrets", Rule: "aws-access-key", Category: category,
		Severity: sdk.SeverityCritical, Confidence: 0.97, Message: "AWS access key"}, Action: config.ActionBlock}}
	v.Detectors[0].Findings = 1
	return v
}

// Monitor is the same finding in monitor mode: allowed, would block.
func Monitor(category, message string) *engine.Verdict {
	v := Block(category, message)
	v.Decision, v.Mode = engine.DecisionAllow, config.ModeMonitor
	return v
}

// Modify is a redaction of the request body to body.
func Modify(body string) *engine.Verdict {
	v := Block("secrets", "")
	v.Decision, v.Message, v.RequestBody = engine.DecisionModify, "", []byte(body)
	v.Findings[0].Action = config.ActionRedact
	return v
}
