// Package engine evaluates events: it fans each item out to the detectors
// that declared its kind, concurrently and under deadlines, and aggregates
// their findings by policy into one verdict.
//
// Policy, in short: a finding counts when its severity is at or above the
// detector's min_severity and no allowlist covers it; the verdict is the
// strongest action (block > redact > alert) among counting findings of
// detectors in enforce mode; monitor mode records what would have been
// blocked and allows. A detector that fails or times out counts as a block
// when its fail policy is "closed".
package engine

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/metrics"
	"github.com/picketsec/picket/sdk"
)

// Detector call outcomes.
const (
	OutcomeOK       = "ok"
	OutcomeError    = "error"
	OutcomeTimeout  = "timeout"
	OutcomeCanceled = "canceled" // stopped early: the verdict was already certain
	OutcomeSkipped  = "skipped"  // no item of its kinds
)

// Decisions.
const (
	DecisionAllow  = "allow"
	DecisionBlock  = "block"
	DecisionModify = "modify"
)

// Suppression reasons.
const (
	SuppressedAllowlist      = "allowlist"
	SuppressedBelowThreshold = "below_threshold"
	SuppressedMode           = "mode_off"
)

// DefaultAsyncTimeout bounds a detector call on an asynchronous event, where
// no budget applies.
const DefaultAsyncTimeout = 10 * time.Second

// Rewriter replaces the JSON string at pointer in body with text, leaving
// every other byte unchanged.
type Rewriter func(body []byte, pointer, text string) ([]byte, error)

// Options configure an Engine.
type Options struct {
	Logger         hclog.Logger
	Metrics        *metrics.Metrics
	FingerprintKey []byte   // keys stored fingerprints; required
	Rewrite        Rewriter // for redaction; nil means redaction falls back to block
	CacheDir       string   // wasm compilation cache
	// Builtins adds compiled-in detectors by ID (embedders, tests).
	Builtins map[string]sdk.Factory
}

// Engine evaluates events against the running Set. It is safe for
// concurrent use; Load swaps the set without stopping evaluations.
type Engine struct {
	log      hclog.Logger
	metrics  *metrics.Metrics
	fpKey    []byte
	rewrite  Rewriter
	cacheDir string
	builtins map[string]sdk.Factory

	loadMu  sync.Mutex
	set     atomic.Pointer[Set]
	statsMu sync.Mutex
	stats   map[string]*stats
}

// New makes an engine with no detectors; call Load before Evaluate.
func New(opts Options) *Engine {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	return &Engine{
		log: opts.Logger, metrics: opts.Metrics, fpKey: opts.FingerprintKey,
		rewrite: opts.Rewrite, cacheDir: opts.CacheDir, builtins: opts.Builtins, stats: map[string]*stats{},
	}
}

// Input is one event to evaluate.
type Input struct {
	Event       *sdk.Event
	TenantMode  string // the tenant's mode (already defaulted from the global mode)
	RequestBody []byte // the raw request_body, for redaction (pre_request only)
}

// Verdict is the result of evaluating one event.
type Verdict struct {
	audit.Result
	// RequestBody is the rewritten request body when Decision is modify.
	RequestBody []byte `json:"-"`
	// StatusCode is the HTTP status Aperture should answer a block with.
	StatusCode int `json:"-"`
}

type callResult struct {
	d        *detector
	findings []sdk.Finding
	err      error
	outcome  string
	dur      time.Duration
}

// ErrNotLoaded is returned by Evaluate before the first Load.
var ErrNotLoaded = errors.New("engine: no config loaded")

// Evaluate runs the detectors over in.Event and decides. For pre_request
// events the set's budget bounds the whole evaluation; in enforce mode the
// remaining detectors are stopped as soon as a block is certain.
func (e *Engine) Evaluate(ctx context.Context, in Input) (*Verdict, error) {
	var set *Set
	for {
		if set = e.set.Load(); set == nil {
			return nil, ErrNotLoaded
		}
		if set.acquire() {
			break
		}
		// Swapped out by a reload in between: take the new one.
	}
	defer set.done()

	start := time.Now()
	ev := in.Event
	sync := ev.Type == sdk.EventPreRequest
	v := &Verdict{Result: audit.Result{Decision: DecisionAllow, Mode: in.TenantMode, Findings: []audit.Finding{}, Detectors: []audit.DetectorRun{}}, StatusCode: 403}
	if in.TenantMode == config.ModeOff {
		v.EvaluatedAt, v.Latency = time.Now(), time.Since(start)
		return v, nil
	}

	// Built-in detectors are bounded by their own deadline, counted from
	// when each starts (call), not by the shared budget: a plugin that
	// hogs the CPUs (WASM code is not preempted by the Go scheduler) may
	// delay them, but never turn their verdict into a timeout. Plugins
	// share the budget. Both stop once a block is certain.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	pluginCtx := runCtx
	if sync {
		var cancelBudget context.CancelFunc
		pluginCtx, cancelBudget = context.WithTimeout(runCtx, set.Config.Budget)
		defer cancelBudget()
	}

	results := make(chan callResult)
	launched := 0
	// Built-ins first, so that they are running before any plugin call
	// takes a CPU.
	for _, builtin := range []bool{true, false} {
		for _, d := range set.detectors {
			if d.builtin() != builtin {
				continue
			}
			mode := config.EffectiveMode(in.TenantMode, d.policy.Mode)
			if mode == config.ModeOff {
				continue
			}
			sub := subEvent(ev, d.kinds)
			if len(sub.Items) == 0 {
				v.Detectors = append(v.Detectors, audit.DetectorRun{Detector: d.policy.Name, Runtime: d.handle.Runtime(), Outcome: OutcomeSkipped})
				continue
			}
			launched++
			callCtx := pluginCtx
			if builtin {
				callCtx = runCtx
			}
			go e.call(callCtx, d, sub, sync, set.Config.Budget, results)
		}
	}

	certain := false
	for range launched {
		r := <-results
		run := audit.DetectorRun{Detector: r.d.policy.Name, Runtime: r.d.handle.Runtime(), Outcome: r.outcome, Duration: r.dur}
		if r.err != nil {
			run.Error = r.err.Error()
		}
		mode := config.EffectiveMode(in.TenantMode, r.d.policy.Mode)
		failedOpen := false
		if r.outcome == OutcomeError || r.outcome == OutcomeTimeout {
			if r.d.policy.Fail == config.FailClosed {
				v.Findings = append(v.Findings, failureFinding(r.d, r.outcome))
			} else {
				failedOpen = true
			}
			e.log.Warn("detector failed", "detector", r.d.policy.Name, "outcome", r.outcome, "error", r.err, "event_id", ev.ID)
		}
		for _, f := range r.findings {
			af := e.judge(r.d, ev, f, mode)
			v.Findings = append(v.Findings, af)
			run.Findings++
			if af.Suppressed == "" && mode == config.ModeEnforce && af.Action == config.ActionBlock && sync {
				certain = true
			}
		}
		if r.d.stats.record(r.dur, r.outcome, run.Findings) {
			e.restart(r.d)
		}
		e.metrics.DetectorCall(r.d.policy.Name, r.d.handle.Runtime(), r.outcome, r.dur, failedOpen)
		v.Detectors = append(v.Detectors, run)
		if certain {
			stop() // the verdict is block whatever the others find
		}
	}
	slices.SortStableFunc(v.Findings, func(a, b audit.Finding) int {
		if a.Item != b.Item {
			return a.Item - b.Item
		}
		return a.Start - b.Start
	})
	slices.SortFunc(v.Detectors, func(a, b audit.DetectorRun) int { return strings.Compare(a.Detector, b.Detector) })
	e.decide(set, in, v)
	for _, f := range v.Findings {
		if f.Suppressed == "" {
			e.metrics.Finding(f.Detector, f.Category, f.Severity.String())
		}
	}
	v.EvaluatedAt = time.Now()
	v.Latency = time.Since(start)
	return v, nil
}

// call runs one detector with its deadline and reports on results. A
// built-in's deadline is its timeout, else the budget, from now.
func (e *Engine) call(ctx context.Context, d *detector, ev *sdk.Event, sync bool, budget time.Duration, results chan<- callResult) {
	timeout := d.policy.Timeout
	if timeout <= 0 && !sync {
		timeout = DefaultAsyncTimeout
	}
	if timeout <= 0 && d.builtin() {
		timeout = budget
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	start := time.Now()
	type out struct {
		f   []sdk.Finding
		err error
	}
	done := make(chan out, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- out{err: fmt.Errorf("detector panicked: %v", p)}
			}
		}()
		f, err := d.handle.Detect(ctx, ev)
		done <- out{f, err}
	}()
	r := callResult{d: d}
	select {
	case o := <-done:
		r.findings, r.err = o.f, o.err
	case <-ctx.Done():
		// A detector that ignores its context must not hold the verdict.
		r.err = ctx.Err()
	}
	r.dur = time.Since(start)
	switch {
	case r.err == nil:
		r.outcome = OutcomeOK
	case errors.Is(r.err, context.DeadlineExceeded) || (ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded)):
		r.outcome, r.err = OutcomeTimeout, fmt.Errorf("timed out after %s", r.dur.Round(time.Microsecond))
	case ctx.Err() != nil:
		r.outcome = OutcomeCanceled
		r.err = nil
	default:
		r.outcome = OutcomeError
	}
	if r.err != nil || r.outcome == OutcomeCanceled {
		r.findings = nil
	}
	results <- r
}

// Restarter is a runtime handle that can be restarted (a plugin process
// killed and started again). The engine restarts a detector that timed out
// RestartAfter times in a row.
type Restarter interface {
	Restart(reason error)
}

// RestartAfter is how many timeouts in a row restart a plugin, and
// UnhealthyAfter how many failures (timeouts or errors) in a row make a
// detector unhealthy until it answers again.
const (
	RestartAfter   = 3
	UnhealthyAfter = 3
)

func (e *Engine) restart(d *detector) {
	r, ok := d.handle.(Restarter)
	if !ok {
		return
	}
	e.log.Warn("detector timed out repeatedly; restarting it", "detector", d.policy.Name, "timeouts_in_a_row", RestartAfter)
	go r.Restart(fmt.Errorf("%d timeouts in a row", RestartAfter))
}

// subEvent is ev with only the items of the given kinds; indexes are kept.
func subEvent(ev *sdk.Event, kinds map[sdk.Kind]bool) *sdk.Event {
	sub := *ev
	sub.Items = make([]sdk.Item, 0, len(ev.Items))
	for _, it := range ev.Items {
		if kinds[it.Kind] {
			sub.Items = append(sub.Items, it)
		}
	}
	return &sub
}

// judge checks a raw finding against the event and policy: it clamps its
// span, keys its fingerprint, and says whether it counts.
func (e *Engine) judge(d *detector, ev *sdk.Event, f sdk.Finding, mode string) audit.Finding {
	f.Detector = d.policy.Name
	if f.Category == "" {
		f.Category = d.info.ID
	}
	var text string
	if f.Item >= 0 && f.Item < len(ev.Items) && d.kinds[ev.Items[f.Item].Kind] {
		text = ev.Items[f.Item].Text
	} else {
		f.Item, f.Start, f.End = -1, 0, 0 // a finding about no item of its kinds: keep it, but point nowhere
	}
	f.Start = min(max(f.Start, 0), len(text))
	f.End = min(max(f.End, f.Start), len(text))
	if f.Fingerprint != "" {
		m := hmac.New(sha256.New, e.fpKey)
		m.Write([]byte(f.Fingerprint))
		f.Fingerprint = hex.EncodeToString(m.Sum(nil)[:16])
	}
	af := audit.Finding{Finding: f, Action: d.policy.Action}
	switch {
	case mode == config.ModeOff:
		af.Suppressed = SuppressedMode
	case slices.Contains(d.policy.AllowFingerprints, f.Fingerprint) && f.Fingerprint != "":
		af.Suppressed = SuppressedAllowlist
	case allowRegex(d.policy, text[f.Start:f.End]):
		af.Suppressed = SuppressedAllowlist
	case f.Severity < d.policy.MinSeverity:
		af.Suppressed = SuppressedBelowThreshold
	}
	af.Classify()
	return af
}

func allowRegex(p config.Detector, match string) bool {
	for _, re := range p.AllowRegex {
		if re.MatchString(match) {
			return true
		}
	}
	return false
}

func failureFinding(d *detector, outcome string) audit.Finding {
	return audit.Finding{
		Finding: sdk.Finding{
			Detector: d.policy.Name, Rule: "detector-" + outcome, Category: "detector_failure",
			Severity: sdk.SeverityHigh, Confidence: 1, Item: -1,
			Message: fmt.Sprintf("detector %s failed (%s) and fails closed", d.policy.Name, outcome),
		},
		Action: config.ActionBlock,
	}
}
