package runtime

import (
	"context"
	goruntime "runtime"
	"sync"
	"testing"
	"time"
)

// TestWasmSlowInstanceIsNotMadeOnACallersDeadline: a detector whose
// instances take far longer to make than a call may wait (a large rule set
// compiled in configure). A call that finds every instance busy takes the
// one given back first instead of failing on the making of its own, and
// the instance being made is not lost with the call's deadline: it joins
// the pool.
func TestWasmSlowInstanceIsNotMadeOnACallersDeadline(t *testing.T) {
	t.Parallel()
	if goruntime.GOMAXPROCS(0) < 2 {
		t.Skip("needs GOMAXPROCS ≥ 2 for two instances")
	}
	ctx := context.Background()
	host, err := newWasmHost(ctx, "", true)
	if err != nil {
		t.Fatal(err)
	}
	const makeTime = 1500 * time.Millisecond
	h := loadOnHost(t, host, Spec{Name: "slow", Source: SourceWasm, Path: testdetWasm(t), SHA256: sha256File(t, testdetWasm(t)),
		Timeout: 5 * time.Second})
	if err := h.Configure(ctx, []byte(`{"configure_ms":1500}`)); err != nil {
		t.Fatal(err)
	}

	// Each round: one call holds the only idle instance a moment while
	// another, with a deadline far shorter than making an instance, asks
	// for one.
	for round := 0; round < 3; round++ {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.Detect(ctx, event("@@fault:pause")); err != nil {
				t.Errorf("round %d: the holding call: %v", round, err)
			}
		}()
		time.Sleep(50 * time.Millisecond)
		cctx, cancel := context.WithTimeout(ctx, makeTime/3)
		fs, err := h.Detect(cctx, event("a needle"))
		cancel()
		if err != nil || len(fs) != 1 {
			t.Errorf("round %d: the waiting call: %d findings, %v", round, len(fs), err)
		}
		wg.Wait()
	}
	// The instance the busy caller had made in the background joins the
	// pool once made.
	deadline := time.Now().Add(20 * time.Second)
	for {
		h.mu.Lock()
		idle, making := len(h.idle), h.making
		h.mu.Unlock()
		if idle == h.max && making == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pool holds %d idle instances (%d being made), want %d", idle, making, h.max)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
