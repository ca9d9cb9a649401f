package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"sync"
	"testing"
	"time"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/sdk"
)

// wasmLoop assembles host/runtime's never-returning module, or skips.
func wasmFault(t *testing.T, name string) (path, sum string) {
	t.Helper()
	tool, err := exec.LookPath("wat2wasm")
	if err != nil {
		if os.Getenv("PICKET_REQUIRE_TOOLS") == "1" {
			t.Fatal("wat2wasm not found and PICKET_REQUIRE_TOOLS=1")
		}
		t.Skip("wat2wasm not found (make tools installs wabt)")
	}
	out := filepath.Join(t.TempDir(), name+".wasm")
	if b, err := exec.Command(tool, "-o", out, "../runtime/testdata/wat/"+name+".wat").CombinedOutput(); err != nil {
		t.Fatalf("wat2wasm: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(b)
	return out, hex.EncodeToString(h[:])
}

// TestPluginHoggingTheCPUsDoesNotChangeBuiltinVerdicts: WASM modules that
// spin until their deadline on every CPU at once (native code the Go
// scheduler cannot preempt) must not turn the built-in detectors' verdict
// into a timeout: an AWS key is still blocked in enforce.
func TestPluginHoggingTheCPUsDoesNotChangeBuiltinVerdicts(t *testing.T) {
	t.Parallel()
	path, sum := wasmFault(t, "grow")
	cfg := config.Default()
	cfg.Budget = 100 * time.Millisecond
	cfg.Detectors = []config.Detector{
		// Its own timeout, longer than the budget: the shared budget must
		// not cut it short (a slow machine, the race detector).
		{Name: "secrets", Source: "builtin", Enabled: true, MinSeverity: sdk.SeverityHigh, Action: config.ActionBlock, Fail: config.FailOpen, Config: []byte(`{}`), Timeout: 5 * time.Second},
		{Name: "loop", Source: "wasm", Path: path, SHA256: sum, Enabled: true, MinSeverity: sdk.SeverityHigh, Action: config.ActionBlock, Fail: config.FailOpen, Config: []byte(`{}`)},
	}
	e := New(Options{FingerprintKey: []byte("k")})
	if _, err := e.Load(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ev := event(sdk.EventPreRequest, sdk.Item{Kind: sdk.KindPrompt, New: true, Text: "deploy with AKIAKMCM3I6WGEIUWUCE and secret"})
	// More evaluations at once than CPUs, so that every CPU runs the loop.
	n := 16 * goruntime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := e.Evaluate(context.Background(), Input{Event: ev, TenantMode: config.ModeEnforce})
			if err != nil {
				t.Error(err)
				return
			}
			for _, r := range v.Detectors {
				if r.Detector == "secrets" && r.Outcome != OutcomeOK && r.Outcome != OutcomeCanceled {
					t.Errorf("evaluation %d: secrets %s (%s) beside a spinning plugin", i, r.Outcome, r.Error)
				}
			}
			if v.Decision != DecisionBlock {
				t.Errorf("evaluation %d: %s, want block: %+v", i, v.Decision, v.Detectors)
			}
		}()
	}
	wg.Wait()
}
