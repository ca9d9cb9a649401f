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
	Session     *SessionInput
}

// SessionDetector is the detector name of the findings a session makes
// (quarantine, exfiltration, injection-driven actions).
const SessionDetector = "session"

// SessionInput is what session memory brings to an evaluation.
type SessionInput struct {
	// Judged holds, by item index, the findings of the items already judged
	// earlier in the session by the same detector set (Signature). Those
	// items are not sent again to detectors (except those that want
	// history) and their findings are reused: judged again under the
	// current policy, and marked Reused.
	Judged map[int][]sdk.Finding
	// Before are findings the session makes before any detector runs
	// (a quarantined session); BeforeMode holds them back (monitor) when
	// the detector that caused them was held back.
	Before     []sdk.Finding
	BeforeMode string
	// After is called with the event and the detectors' findings, judged,
	// before the decision; the findings it returns are the session's own
	// (taint, injection-driven actions).
	After func(ev *sdk.Event, findings []audit.Finding) []sdk.Finding
}

// Verdict is the result of evaluating one event.
type Verdict struct {
	audit.Result
	// RequestBody is the rewritten request body when Decision is modify.
	RequestBody []byte `json:"-"`
	// StatusCode is the HTTP status Aperture should answer a block with.
	StatusCode int `json:"-"`
	// Judged lists the indexes of the items that every detector of their
	// kind judged in full in this evaluation (none timed out, failed or
	// was stopped early), whose findings session memory may keep.
	Judged []int `json:"-"`
	// Signature identifies the detector set that judged them.
	Signature string `json:"-"`
}

type callResult struct {
	d        *detector
	findings []sdk.Finding
	err      error
	outcome  string
	dur      time.Duration
	start    time.Time // when the call started, for its span
	items    int       // items sent to the detector
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

	var judged map[int][]sdk.Finding
	if in.Session != nil {
		judged = in.Session.Judged
		for _, f := range in.Session.Before {
			af := e.judgeSession(set, f, in.TenantMode)
			af.Mode = in.Session.BeforeMode
			v.Findings = append(v.Findings, af)
		}
		// The session's own findings on judged items (an exfiltration seen
		// in an asynchronous event, the call now resent as history).
		for i, fs := range judged {
			for _, f := range fs {
				if f.Detector == SessionDetector && i < len(ev.Items) {
					f.Item = i
					f.Start = min(max(f.Start, 0), len(ev.Items[i].Text))
					f.End = min(max(f.End, f.Start), len(ev.Items[i].Text))
					af := e.judgeSession(set, f, in.TenantMode)
					af.Reused = true
					v.Findings = append(v.Findings, af)
				}
			}
		}
	}
	// complete[i]: every detector that should see item i judged it fully.
	complete := make([]bool, len(ev.Items))
	for i := range complete {
		complete[i] = true
	}
	results := make(chan callResult)
	launched := 0
	tr := detectorTracer(ctx) // nil unless ctx's span records
	// Built-ins first, so that they are running before any plugin call
	// takes a CPU.
	for _, builtin := range []bool{true, false} {
		for _, d := range set.detectors {
			if d.builtin() != builtin {
				continue
			}
			mode := config.EffectiveMode(in.TenantMode, d.policy.Mode)
			if mode == config.ModeOff {
				markIncomplete(complete, ev, d) // when it is turned on, it judges them
				continue
			}
			for _, i := range reusable(ev, d, judged) {
				v.Findings = append(v.Findings, e.reuse(d, ev, i, judged[i], mode)...)
			}
			sub := subEvent(ev, d.kinds, judged, d.history)
			if len(sub.Items) == 0 {
				run := audit.DetectorRun{Detector: d.policy.Name, Runtime: d.handle.Runtime(), Outcome: OutcomeSkipped}
				v.Detectors = append(v.Detectors, run)
				if tr != nil {
					traceDetector(ctx, tr, ev, d, run, mode, 0, time.Time{}, nil)
				}
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
		if r.outcome != OutcomeOK {
			markIncomplete(complete, ev, r.d)
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
		if tr != nil {
			traceDetector(ctx, tr, ev, r.d, run, mode, r.items, r.start, v.Findings[len(v.Findings)-run.Findings:])
		}
		if certain {
			stop() // the verdict is block whatever the others find
		}
	}
	if in.Session != nil && in.Session.After != nil {
		for _, f := range in.Session.After(ev, v.Findings) {
			v.Findings = append(v.Findings, e.judgeSession(set, f, in.TenantMode))
		}
	}
	v.Signature = set.signature
	for i, it := range ev.Items {
		if _, seen := judged[i]; !seen && complete[i] && i == it.Index {
			v.Judged = append(v.Judged, i)
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
	r := callResult{d: d, start: start, items: len(ev.Items)}
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

// subEvent is ev with only the items of the given kinds, less those already
// judged in the session unless history is wanted; indexes are kept.
func subEvent(ev *sdk.Event, kinds map[sdk.Kind]bool, judged map[int][]sdk.Finding, history bool) *sdk.Event {
	sub := *ev
	sub.Items = make([]sdk.Item, 0, len(ev.Items))
	for _, it := range ev.Items {
		if !kinds[it.Kind] {
			continue
		}
		if _, seen := judged[it.Index]; seen && !history {
			continue
		}
		sub.Items = append(sub.Items, it)
	}
	return &sub
}

// reusable returns the items of d's kinds that were judged earlier in the
// session (and that d does not see again).
func reusable(ev *sdk.Event, d *detector, judged map[int][]sdk.Finding) []int {
	if len(judged) == 0 || d.history {
		return nil
	}
	var out []int
	for i, it := range ev.Items {
		if _, seen := judged[i]; seen && d.kinds[it.Kind] {
			out = append(out, i)
		}
	}
	return out
}

// reuse judges again, under the current policy, d's findings on item i from
// when it was first judged in the session.
func (e *Engine) reuse(d *detector, ev *sdk.Event, i int, judged []sdk.Finding, mode string) []audit.Finding {
	var out []audit.Finding
	for _, f := range judged {
		if f.Detector != d.policy.Name {
			continue
		}
		f.Item = i
		f.Start = min(max(f.Start, 0), len(ev.Items[i].Text))
		f.End = min(max(f.End, f.Start), len(ev.Items[i].Text))
		af := audit.Finding{Finding: f, Action: d.policy.Action, Reused: true}
		af.Suppressed = suppression(d.policy, f, ev.Items[i].Text[f.Start:f.End], mode)
		af.Classify()
		out = append(out, af)
	}
	return out
}

// markIncomplete records that d did not judge its items of ev in full.
func markIncomplete(complete []bool, ev *sdk.Event, d *detector) {
	for i, it := range ev.Items {
		if d.kinds[it.Kind] && i < len(complete) {
			complete[i] = false
		}
	}
}

// judgeSession judges a finding of the session itself: it counts at high
// and above, asks for a block, and follows the tenant's mode held back by
// the session block's.
func (e *Engine) judgeSession(set *Set, f sdk.Finding, tenantMode string) audit.Finding {
	f.Detector = SessionDetector
	af := audit.Finding{Finding: f, Action: config.ActionBlock}
	if config.EffectiveMode(tenantMode, set.Config.Session.Mode) == config.ModeOff {
		af.Suppressed = SuppressedMode
	} else if f.Severity < sdk.SeverityHigh {
		af.Suppressed = SuppressedBelowThreshold
	}
	af.Classify()
	return af
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
	af.Suppressed = suppression(d.policy, f, text[f.Start:f.End], mode)
	af.Classify()
	return af
}

// suppression says why a judged finding does not count, or "".
func suppression(p config.Detector, f sdk.Finding, match, mode string) string {
	switch {
	case mode == config.ModeOff:
		return SuppressedMode
	case slices.Contains(p.AllowFingerprints, f.Fingerprint) && f.Fingerprint != "":
		return SuppressedAllowlist
	case allowRegex(p, match):
		return SuppressedAllowlist
	case f.Severity < p.MinSeverity:
		return SuppressedBelowThreshold
	}
	return ""
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
