package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/runtime"
	"github.com/picketsec/picket/sdk"
)

// wordDetector flags every occurrence of a word in the items it sees.
type wordDetector struct {
	id       string
	word     string
	category string
	severity sdk.Severity
	kinds    []sdk.Kind
	delay    time.Duration // honours ctx
	hang     bool          // ignores ctx
	fail     error
	calls    atomic.Int32
	saw      atomic.Value // []sdk.Kind of the last call
}

func (w *wordDetector) Info() sdk.Info {
	kinds := w.kinds
	if kinds == nil {
		kinds = sdk.Kinds
	}
	return sdk.Info{ID: w.id, Version: "1", APIVersion: sdk.APIVersion, Kinds: kinds}
}

func (w *wordDetector) Configure(ctx context.Context, cfg []byte) error {
	var c struct {
		Word string `json:"word"`
	}
	if err := json.Unmarshal(cfg, &c); err != nil {
		return err
	}
	if c.Word != "" {
		w.word = c.Word
	}
	return nil
}

func (w *wordDetector) Detect(ctx context.Context, ev *sdk.Event) ([]sdk.Finding, error) {
	w.calls.Add(1)
	var kinds []sdk.Kind
	for _, it := range ev.Items {
		kinds = append(kinds, it.Kind)
	}
	w.saw.Store(kinds)
	if w.hang {
		select {} // a broken detector that never returns
	}
	if w.delay > 0 {
		select {
		case <-time.After(w.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if w.fail != nil {
		return nil, w.fail
	}
	var out []sdk.Finding
	for _, it := range ev.Items {
		if i := strings.Index(it.Text, w.word); i >= 0 {
			out = append(out, sdk.Finding{
				Rule: w.id + "-word", Category: w.category, Class: "word", Severity: w.severity, Confidence: 1,
				Item: it.Index, Start: i, End: i + len(w.word), Message: "found the word",
				Fingerprint: sdk.Fingerprint(w.id, "word", w.word),
			})
		}
	}
	return out, nil
}

// fixtureEngine loads the given detectors as builtins under a config.
func fixtureEngine(t *testing.T, mode string, dets map[string]*wordDetector, pol func(*config.Detector)) *Engine {
	t.Helper()
	cfg := config.Default()
	cfg.Mode = mode
	cfg.Budget = 200 * time.Millisecond
	cfg.Detectors = nil
	handles := map[string]runtime.Handle{}
	for name, d := range dets {
		p := config.Detector{Name: name, Source: "test", Enabled: true, MinSeverity: sdk.SeverityHigh, Action: config.ActionBlock, Fail: config.FailOpen, Config: []byte("{}")}
		if pol != nil {
			pol(&p)
		}
		cfg.Detectors = append(cfg.Detectors, p)
		handles[name] = runtime.Wrap(d, "builtin")
	}
	e := New(Options{FingerprintKey: []byte("k"), Rewrite: replaceForTest})
	set := &Set{Config: cfg}
	for _, p := range cfg.Detectors {
		h := handles[p.Name]
		d := &detector{policy: p, handle: h, info: h.Info(), stats: e.statsFor(p.Name), refs: &handleRefs{handle: h}, kinds: map[sdk.Kind]bool{}}
		d.refs.n.Store(1)
		for _, k := range d.info.Kinds {
			if len(p.Kinds) == 0 || containsKind(p.Kinds, k) {
				d.kinds[k] = true
			}
		}
		set.detectors = append(set.detectors, d)
	}
	e.set.Store(set)
	return e
}

func containsKind(ks []sdk.Kind, k sdk.Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// replaceForTest rewrites the only string of {"p":"..."}-shaped bodies.
func replaceForTest(body []byte, pointer, text string) ([]byte, error) {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	key := strings.TrimPrefix(pointer, "/")
	if _, ok := m[key].(string); !ok {
		return nil, errors.New("no string at pointer")
	}
	m[key] = text
	return json.Marshal(m)
}

func event(typ string, items ...sdk.Item) *sdk.Event {
	for i := range items {
		items[i].Index = i
	}
	return &sdk.Event{ID: "ev1", Type: typ, Items: items}
}

func TestPolicy(t *testing.T) {
	t.Parallel()
	prompt := sdk.Item{Kind: sdk.KindPrompt, Text: "my token is hunter2 ok", New: true, Origin: sdk.OriginRequest, Pointer: "/p"}
	cases := map[string]struct {
		mode       string
		typ        string
		severity   sdk.Severity
		pol        func(*config.Detector)
		wantDec    string
		wantWould  bool
		wantMsg    string
		suppressed string
	}{
		"enforce blocks":           {mode: "enforce", severity: sdk.SeverityHigh, wantDec: "block", wantWould: true, wantMsg: "Secrets Leaked in Prompts"},
		"monitor allows":           {mode: "monitor", severity: sdk.SeverityCritical, wantDec: "allow", wantWould: true, wantMsg: "Secrets Leaked in Prompts"},
		"below threshold":          {mode: "enforce", severity: sdk.SeverityMedium, wantDec: "allow", suppressed: SuppressedBelowThreshold},
		"alert allows":             {mode: "enforce", severity: sdk.SeverityHigh, pol: func(p *config.Detector) { p.Action = "alert" }, wantDec: "allow", wantMsg: "Secrets Leaked in Prompts"},
		"detector held to monitor": {mode: "enforce", severity: sdk.SeverityHigh, pol: func(p *config.Detector) { p.Mode = "monitor" }, wantDec: "allow", wantWould: true},
		"allow regex":              {mode: "enforce", severity: sdk.SeverityHigh, pol: func(p *config.Detector) { p.AllowRegex = []*regexp.Regexp{regexp.MustCompile(`^hunter\d$`)} }, wantDec: "allow", suppressed: SuppressedAllowlist},
		"redact modifies":          {mode: "enforce", severity: sdk.SeverityHigh, pol: func(p *config.Detector) { p.Action = "redact" }, wantDec: "modify"},
		"async never answers block but records it": {mode: "enforce", typ: sdk.EventEntireRequest, severity: sdk.SeverityHigh, wantDec: "block", wantWould: true},
		"off runs nothing":                         {mode: "off", severity: sdk.SeverityHigh, wantDec: "allow"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			det := &wordDetector{id: "secrets", word: "hunter2", category: "secrets", severity: tc.severity}
			e := fixtureEngine(t, tc.mode, map[string]*wordDetector{"secrets": det}, tc.pol)
			typ := tc.typ
			if typ == "" {
				typ = sdk.EventPreRequest
			}
			v, err := e.Evaluate(context.Background(), Input{Event: event(typ, prompt), TenantMode: tc.mode, RequestBody: []byte(`{"p":"my token is hunter2 ok","model":"m"}`)})
			if err != nil {
				t.Fatal(err)
			}
			if v.Decision != tc.wantDec || v.WouldBlock != tc.wantWould {
				t.Errorf("decision %q would_block %v, want %q %v", v.Decision, v.WouldBlock, tc.wantDec, tc.wantWould)
			}
			if tc.wantMsg != "" && v.Message != tc.wantMsg {
				t.Errorf("message %q, want %q", v.Message, tc.wantMsg)
			}
			if tc.suppressed != "" && (len(v.Findings) != 1 || v.Findings[0].Suppressed != tc.suppressed) {
				t.Errorf("findings %+v, want one suppressed %q", v.Findings, tc.suppressed)
			}
			if strings.Contains(v.Message, "hunter2") {
				t.Errorf("message quotes the secret: %q", v.Message)
			}
			if tc.wantDec == "modify" {
				if got := string(v.RequestBody); got != `{"model":"m","p":"my token is [REDACTED:secrets-word] ok"}` {
					t.Errorf("rewritten body %s", got)
				}
			}
			if tc.mode == "off" && det.calls.Load() != 0 {
				t.Errorf("detector ran in mode off")
			}
		})
	}
}

func TestRedactFallsBackToBlock(t *testing.T) {
	t.Parallel()
	det := &wordDetector{id: "secrets", word: "hunter2", category: "secrets", severity: sdk.SeverityHigh}
	e := fixtureEngine(t, "enforce", map[string]*wordDetector{"secrets": det}, func(p *config.Detector) { p.Action = "redact" })
	// In history, not the new turn: rewriting it would change what the model already saw.
	hist := sdk.Item{Kind: sdk.KindPrompt, Text: "hunter2", Origin: sdk.OriginHistory, Pointer: "/p"}
	v, err := e.Evaluate(context.Background(), Input{Event: event(sdk.EventPreRequest, hist), TenantMode: "enforce", RequestBody: []byte(`{"p":"hunter2"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if v.Decision != "block" || !v.WouldBlock {
		t.Errorf("decision %q would_block %v, want block", v.Decision, v.WouldBlock)
	}
}

func TestKindsAreFiltered(t *testing.T) {
	t.Parallel()
	det := &wordDetector{id: "cmd", word: "rm", category: "command", severity: sdk.SeverityHigh, kinds: []sdk.Kind{sdk.KindToolCall}}
	e := fixtureEngine(t, "enforce", map[string]*wordDetector{"cmd": det}, nil)
	ev := event(sdk.EventPreRequest,
		sdk.Item{Kind: sdk.KindPrompt, Text: "please rm it"},
		sdk.Item{Kind: sdk.KindToolCall, Text: "ls"},
	)
	v, err := e.Evaluate(context.Background(), Input{Event: ev, TenantMode: "enforce"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Decision != "allow" {
		t.Errorf("a tool_call detector judged a prompt: %+v", v.Findings)
	}
	if got := det.saw.Load().([]sdk.Kind); len(got) != 1 || got[0] != sdk.KindToolCall {
		t.Errorf("detector saw kinds %v", got)
	}
}

func TestFailurePolicy(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		det     *wordDetector
		fail    string
		wantDec string
		outcome string
	}{
		"error fails open":     {&wordDetector{fail: errors.New("boom")}, "open", "allow", OutcomeError},
		"error fails closed":   {&wordDetector{fail: errors.New("boom")}, "closed", "block", OutcomeError},
		"timeout fails open":   {&wordDetector{delay: time.Second}, "open", "allow", OutcomeTimeout},
		"timeout fails closed": {&wordDetector{delay: time.Second}, "closed", "block", OutcomeTimeout},
		"hang is cut off":      {&wordDetector{hang: true}, "closed", "block", OutcomeTimeout},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tc.det.id, tc.det.word, tc.det.category, tc.det.severity = "d", "zzz", "x", sdk.SeverityHigh
			e := fixtureEngine(t, "enforce", map[string]*wordDetector{"d": tc.det}, func(p *config.Detector) {
				p.Fail = tc.fail
				p.Timeout = 20 * time.Millisecond
			})
			start := time.Now()
			v, err := e.Evaluate(context.Background(), Input{Event: event(sdk.EventPreRequest, sdk.Item{Kind: sdk.KindPrompt, Text: "hi"}), TenantMode: "enforce"})
			if err != nil {
				t.Fatal(err)
			}
			if time.Since(start) > 150*time.Millisecond {
				t.Errorf("evaluation outlived the detector timeout: %s", time.Since(start))
			}
			if v.Decision != tc.wantDec {
				t.Errorf("decision %q, want %q", v.Decision, tc.wantDec)
			}
			if len(v.Detectors) != 1 || v.Detectors[0].Outcome != tc.outcome {
				t.Errorf("runs %+v, want outcome %q", v.Detectors, tc.outcome)
			}
		})
	}
}

func TestEarlyExitInEnforce(t *testing.T) {
	t.Parallel()
	fast := &wordDetector{id: "fast", word: "bad", category: "secrets", severity: sdk.SeverityCritical}
	slow := &wordDetector{id: "slow", word: "zzz", category: "x", severity: sdk.SeverityHigh, delay: 5 * time.Second}
	e := fixtureEngine(t, "enforce", map[string]*wordDetector{"fast": fast, "slow": slow}, nil)
	start := time.Now()
	v, err := e.Evaluate(context.Background(), Input{Event: event(sdk.EventPreRequest, sdk.Item{Kind: sdk.KindPrompt, Text: "bad"}), TenantMode: "enforce"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Decision != "block" {
		t.Fatalf("decision %q", v.Decision)
	}
	if d := time.Since(start); d > 150*time.Millisecond {
		t.Errorf("waited %s for a detector after the block was certain", d)
	}
	for _, r := range v.Detectors {
		if r.Detector == "slow" && r.Outcome != OutcomeCanceled {
			t.Errorf("slow detector outcome %q, want canceled", r.Outcome)
		}
	}
}

func TestFingerprintsAreKeyed(t *testing.T) {
	t.Parallel()
	det := &wordDetector{id: "secrets", word: "hunter2", category: "secrets", severity: sdk.SeverityHigh}
	e := fixtureEngine(t, "enforce", map[string]*wordDetector{"secrets": det}, nil)
	v, err := e.Evaluate(context.Background(), Input{Event: event(sdk.EventPreRequest, sdk.Item{Kind: sdk.KindPrompt, Text: "hunter2"}), TenantMode: "enforce"})
	if err != nil {
		t.Fatal(err)
	}
	raw := sdk.Fingerprint("secrets", "word", "hunter2")
	if fp := v.Findings[0].Fingerprint; fp == raw || len(fp) != 32 {
		t.Errorf("fingerprint %q is not keyed", fp)
	}
	// And an allowlisted fingerprint is honoured.
	e2 := fixtureEngine(t, "enforce", map[string]*wordDetector{"secrets": det}, func(p *config.Detector) { p.AllowFingerprints = []string{v.Findings[0].Fingerprint} })
	v2, _ := e2.Evaluate(context.Background(), Input{Event: event(sdk.EventPreRequest, sdk.Item{Kind: sdk.KindPrompt, Text: "hunter2"}), TenantMode: "enforce"})
	if v2.Decision != "allow" {
		t.Errorf("allowlisted fingerprint still blocks")
	}
}

func TestMask(t *testing.T) {
	t.Parallel()
	f := func(s, e int, rule string) auditFinding { return mk(s, e, rule) }
	got := Mask("a SECRET b OTHER c", []auditFinding{f(2, 8, "r1"), f(11, 16, "r2"), f(3, 5, "r3")})
	if got != "a [REDACTED:r1] b [REDACTED:r2] c" {
		t.Errorf("Mask = %q", got)
	}
}

// TestReloadUnderLoad swaps configs while evaluations run: none may fail,
// and handles are closed only once no evaluation uses them.
func TestReloadUnderLoad(t *testing.T) {
	t.Parallel()
	builtins := map[string]sdk.Factory{"word": func() sdk.Detector {
		return &wordDetector{id: "word", word: "bad", category: "secrets", severity: sdk.SeverityHigh}
	}}
	e := New(Options{FingerprintKey: []byte("k"), Builtins: builtins})
	cfgFor := func(word string) *config.Config {
		cfg := config.Default()
		cfg.Detectors = []config.Detector{{Name: "word", Source: "builtin", Enabled: true, MinSeverity: sdk.SeverityHigh,
			Action: config.ActionBlock, Fail: config.FailClosed, Config: []byte(`{"word":"` + word + `"}`)}}
		return cfg
	}
	if _, err := e.Load(context.Background(), cfgFor("bad")); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			for {
				select {
				case <-stop:
					errs <- nil
					return
				default:
				}
				v, err := e.Evaluate(context.Background(), Input{Event: event(sdk.EventPreRequest, sdk.Item{Kind: sdk.KindPrompt, Text: "bad worse"}), TenantMode: "enforce"})
				if err != nil || v.Decision != "block" {
					errs <- fmt.Errorf("evaluate during reload: %v %+v", err, v)
					return
				}
			}
		}()
	}
	for i := range 50 {
		word := "bad"
		if i%2 == 1 {
			word = "worse"
		}
		if _, err := e.Load(context.Background(), cfgFor(word)); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestReloadWhereNothingLoadsIsRefused: a new config none of whose
// detectors loads is refused, and the running detectors keep deciding.
func TestReloadWhereNothingLoadsIsRefused(t *testing.T) {
	t.Parallel()
	builtins := map[string]sdk.Factory{"word": func() sdk.Detector {
		return &wordDetector{id: "word", word: "bad", category: "secrets", severity: sdk.SeverityHigh}
	}}
	e := New(Options{FingerprintKey: []byte("k"), Builtins: builtins})
	defer e.Close()
	cfg := config.Default()
	cfg.Detectors = []config.Detector{{Name: "word", Source: "builtin", Enabled: true, MinSeverity: sdk.SeverityHigh, Action: config.ActionBlock, Config: []byte(`{}`)}}
	if _, err := e.Load(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	next := config.Default()
	next.Detectors = []config.Detector{{Name: "gone", Source: "builtin", Enabled: true, MinSeverity: sdk.SeverityHigh, Action: config.ActionBlock, Config: []byte(`{}`)}}
	if _, err := e.Load(context.Background(), next); err == nil || !strings.Contains(err.Error(), "keeping the running one") {
		t.Fatalf("reload where nothing loads: %v", err)
	}
	if e.Config() != cfg {
		t.Fatal("the refused config replaced the running one")
	}
	v, err := e.Evaluate(context.Background(), Input{Event: event(sdk.EventPreRequest, sdk.Item{Kind: sdk.KindPrompt, Text: "bad"}), TenantMode: "enforce"})
	if err != nil || v.Decision != DecisionBlock {
		t.Fatalf("after the refused reload: %+v %v", v, err)
	}
}

// switchable hangs (until its context ends) while slow is set.
type switchable struct {
	sdk.Detector
	slow atomic.Bool
}

func (s *switchable) Detect(ctx context.Context, ev *sdk.Event) ([]sdk.Finding, error) {
	if s.slow.Load() {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return s.Detector.Detect(ctx, ev)
}

// restartable is a plugin handle that counts restarts.
type restartable struct {
	runtime.Handle
	restarts atomic.Int32
}

func (r *restartable) Restart(error) { r.restarts.Add(1) }

// TestTimeoutsInARowMakeUnhealthyAndRestart: a plugin that times out
// call after call shows as failing (in /v1/detectors and /readyz) and is
// restarted after RestartAfter timeouts in a row; one good answer makes it
// healthy again.
func TestTimeoutsInARowMakeUnhealthyAndRestart(t *testing.T) {
	t.Parallel()
	w := &wordDetector{id: "slow", word: "bad", category: "secrets", severity: sdk.SeverityHigh}
	e := fixtureEngine(t, config.ModeEnforce, map[string]*wordDetector{"slow": w}, func(p *config.Detector) { p.Timeout = 20 * time.Millisecond })
	sd := &switchable{Detector: w}
	sd.slow.Store(true)
	h := &restartable{Handle: runtime.Wrap(sd, "process")}
	set := e.set.Load()
	set.detectors[0].handle, set.detectors[0].refs.handle = h, h
	evaluate := func() {
		if _, err := e.Evaluate(context.Background(), Input{Event: event(sdk.EventEntireRequest, sdk.Item{Kind: sdk.KindPrompt, Text: "bad"}), TenantMode: "enforce"}); err != nil {
			t.Fatal(err)
		}
	}
	for range UnhealthyAfter - 1 {
		evaluate()
	}
	if err := e.Healthy(); err != nil {
		t.Fatalf("unhealthy after %d timeouts: %v", UnhealthyAfter-1, err)
	}
	evaluate()
	if err := e.Healthy(); err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("Healthy after %d timeouts in a row = %v", UnhealthyAfter, err)
	}
	if st := e.Detectors()[0]; !strings.Contains(st.Health, "failing") {
		t.Errorf("detector status health = %q", st.Health)
	}
	waitUntil(t, func() bool { return h.restarts.Load() == 1 }, "a restart after RestartAfter timeouts")
	sd.slow.Store(false)
	evaluate()
	if err := e.Healthy(); err != nil {
		t.Errorf("after a good answer: %v", err)
	}
	if n := h.restarts.Load(); n != 1 {
		t.Errorf("%d restarts, want 1", n)
	}
}

func waitUntil(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
