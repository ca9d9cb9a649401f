package policyeval

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/aperture"
	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/engine"
	"github.com/picketsec/picket/host/llmapi"
	"github.com/picketsec/picket/sdk"
)

// Options adjust the policy under test. The zero value is the shipped
// default config in enforce mode.
type Options struct {
	// Config replaces the embedded default config (its mode is still forced
	// to enforce). Use it to measure an operator's config, e.g. with rule
	// packs added.
	Config *config.Config
	// Budget overrides the pre_request budget; zero keeps the config's. A
	// loaded machine can push detectors past the shipped budget, which
	// fails open: Outcome.Timeouts counts that so an eval can report it.
	Budget time.Duration
}

// Evaluator runs wrapped rows through the engine. It is safe for
// concurrent use.
type Evaluator struct {
	eng *engine.Engine
}

// New loads the policy. Close it when done.
func New(ctx context.Context, opts Options) (*Evaluator, error) {
	cfg := opts.Config
	if cfg == nil {
		cfg = config.Default()
	}
	cfg.Mode = config.ModeEnforce
	for i := range cfg.Tenants {
		cfg.Tenants[i].Mode = config.ModeEnforce
	}
	if opts.Budget > 0 {
		cfg.Budget = opts.Budget
	}
	key := sha256.Sum256([]byte("policyeval fingerprint key"))
	eng := engine.New(engine.Options{FingerprintKey: key[:], Rewrite: llmapi.ReplaceString})
	if _, err := eng.Load(ctx, cfg); err != nil {
		return nil, fmt.Errorf("policyeval: load policy: %w", err)
	}
	return &Evaluator{eng: eng}, nil
}

// Close stops the engine's detectors.
func (e *Evaluator) Close() error { return e.eng.Close() }

// Outcome is what the policy answered for one hook body.
type Outcome struct {
	Decision    string // allow | block | modify
	Blocked     bool   // the gateway would not pass the request unchanged
	Category    string
	MaxSeverity sdk.Severity
	// Findings are those that counted (not allowlisted, at or above the
	// detector's min_severity); All also has the suppressed ones.
	Findings []audit.Finding
	All      []audit.Finding
	Timeouts int // detectors that timed out (failed open)
	Items    int // items the normalizer produced
	// Event is the normalized event, whose items the findings' Item,
	// Start and End point into.
	Event *sdk.Event
}

// Detectors returns the detectors of the counted findings.
func (o *Outcome) Detectors() map[string]bool {
	m := map[string]bool{}
	for _, f := range o.Findings {
		m[f.Detector] = true
	}
	return m
}

// Hook evaluates one Aperture hook body as a pre_request.
func (e *Evaluator) Hook(ctx context.Context, body []byte) (*Outcome, error) {
	h, err := aperture.Parse(body)
	if err != nil {
		return nil, fmt.Errorf("policyeval: parse: %w", err)
	}
	ev, err := aperture.Normalize(h, sdk.EventPreRequest)
	if err != nil {
		return nil, fmt.Errorf("policyeval: normalize: %w", err)
	}
	ev.Tenant = "default"
	v, err := e.eng.Evaluate(ctx, engine.Input{Event: ev, TenantMode: config.ModeEnforce, RequestBody: h.RequestBody})
	if err != nil {
		return nil, fmt.Errorf("policyeval: evaluate: %w", err)
	}
	o := &Outcome{
		Decision: v.Decision, Blocked: v.Decision != engine.DecisionAllow,
		Category: v.Category, MaxSeverity: v.MaxSeverity, All: v.Findings, Items: len(ev.Items), Event: ev,
	}
	for _, f := range v.Findings {
		if f.Suppressed == "" {
			o.Findings = append(o.Findings, f)
		}
	}
	for _, d := range v.Detectors {
		if d.Outcome == "timeout" {
			o.Timeouts++
		}
	}
	return o, nil
}

// Text wraps text at p and evaluates it.
func (e *Evaluator) Text(ctx context.Context, p Placement, text string) (*Outcome, error) {
	body, err := Wrap(p, text)
	if err != nil {
		return nil, err
	}
	return e.Hook(ctx, body)
}
