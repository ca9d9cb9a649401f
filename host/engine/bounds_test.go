package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/sdk"
)

var (
	testdetOnce sync.Once
	testdetBin  string
	testdetErr  error
)

// testdetProcess builds host/runtime's test detector as a plugin binary.
func testdetProcess(t *testing.T) (path, sum string) {
	t.Helper()
	testdetOnce.Do(func() {
		dir, err := os.MkdirTemp("", "picket-engine-testdet-")
		if err != nil {
			testdetErr = err
			return
		}
		testdetBin = filepath.Join(dir, "testdet")
		if b, err := exec.Command("go", "build", "-o", testdetBin, "../runtime/testdata/testdet/process").CombinedOutput(); err != nil {
			testdetErr = &buildError{err: err, out: string(b)}
		}
	})
	if testdetErr != nil {
		t.Fatal(testdetErr)
	}
	b, err := os.ReadFile(testdetBin)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(b)
	return testdetBin, hex.EncodeToString(h[:])
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return "go build testdet: " + e.err.Error() + "\n" + e.out }

// TestRunawayPluginProcessIsBoundedAndBuiltinVerdictsHold: a process
// plugin that takes memory or CPU without bound (in the background, or in
// a call) is killed and restarted for it, /v1/detectors says why, and the
// built-in detectors' verdict is the same throughout: an AWS key is
// blocked in enforce.
func TestRunawayPluginProcessIsBoundedAndBuiltinVerdictsHold(t *testing.T) {
	if goruntime.GOOS != "linux" {
		t.Skip("process plugin bounds are enforced on Linux only")
	}
	t.Parallel()
	path, sum := testdetProcess(t)
	tests := map[string]struct {
		fault string
		bound func(*config.Detector)
		why   string // in the restart reason
	}{
		"memory grows in the background": {fault: "leak", bound: func(d *config.Detector) { d.MaxMemory = 64 << 20 }, why: "resident memory"},
		"memory grows in a call":         {fault: "grow", bound: func(d *config.Detector) { d.MaxMemory = 64 << 20 }, why: "memory"},
		"spins in the background":        {fault: "spin", bound: func(d *config.Detector) { d.MaxCPU = 0.1 }, why: "CPUs over"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			plugin := config.Detector{Name: "runaway", Source: "process", Path: path, SHA256: sum, Enabled: true,
				MinSeverity: sdk.SeverityHigh, Action: config.ActionBlock, Fail: config.FailOpen, Config: []byte(`{}`), Timeout: 2 * time.Second}
			tt.bound(&plugin)
			cfg := config.Default()
			cfg.Detectors = []config.Detector{
				{Name: "secrets", Source: "builtin", Enabled: true, MinSeverity: sdk.SeverityHigh, Action: config.ActionBlock, Fail: config.FailOpen, Config: []byte(`{}`), Timeout: 5 * time.Second},
				plugin,
			}
			e := New(Options{FingerprintKey: []byte("k")})
			if _, err := e.Load(context.Background(), cfg); err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			key := sdk.Item{Kind: sdk.KindPrompt, New: true, Text: "deploy with AKIAKMCM3I6WGEIUWUCE and secret"}
			check := func(ev *sdk.Event) {
				t.Helper()
				v, err := e.Evaluate(context.Background(), Input{Event: ev, TenantMode: config.ModeEnforce})
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range v.Detectors {
					if r.Detector == "secrets" && r.Outcome != OutcomeOK {
						t.Errorf("secrets %s (%s) beside the runaway plugin", r.Outcome, r.Error)
					}
				}
				if v.Decision != DecisionBlock {
					t.Errorf("decision %s, want block: %+v", v.Decision, v.Detectors)
				}
			}
			// The fault on its own: beside a block-level finding the
			// plugin's call would be cut short before it reaches it.
			if _, err := e.Evaluate(context.Background(), Input{Event: event(sdk.EventPreRequest, sdk.Item{Kind: sdk.KindPrompt, New: true, Text: "@@fault:" + tt.fault}), TenantMode: config.ModeEnforce}); err != nil {
				t.Fatal(err)
			}
			for end := time.Now().Add(45 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				check(event(sdk.EventPreRequest, key))
				st := status(e, "runaway")
				if st.Restarts > 0 {
					if st.LastRestart == nil || !strings.Contains(st.LastRestart.Reason, tt.why) {
						t.Errorf("last restart %+v, want a reason with %q", st.LastRestart, tt.why)
					}
					break
				}
				if time.Now().After(end) {
					t.Fatalf("the runaway plugin was not restarted: %+v", st)
				}
			}
			// The restarted plugin answers again.
			for end := time.Now().Add(15 * time.Second); status(e, "runaway").Health != "ok"; time.Sleep(50 * time.Millisecond) {
				if time.Now().After(end) {
					t.Fatalf("not healthy after the restart: %+v", status(e, "runaway"))
				}
			}
			check(event(sdk.EventPreRequest, key))
		})
	}
}

func status(e *Engine, name string) DetectorStatus {
	for _, st := range e.Detectors() {
		if st.Name == name {
			return st
		}
	}
	return DetectorStatus{}
}
