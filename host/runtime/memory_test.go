package runtime

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestWasmMemoryIsBoundedAcrossDetectors: several WASM detectors whose
// calls grow their memory to the cap run at once on a host whose instance
// slots are fewer than they ask for. The live instances never exceed the
// host's slots, an instance that grew is not kept in a pool, and a normal
// detector on the same host still answers.
func TestWasmMemoryIsBoundedAcrossDetectors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	host, err := newWasmHost(ctx, "", true)
	if err != nil {
		t.Fatal(err)
	}
	const slots = 3
	host.slots = make(chan struct{}, slots)
	loadOn := func(name, path string, timeout time.Duration) *wasmHandle {
		return loadOnHost(t, host, Spec{Name: name, Source: SourceWasm, Path: path, SHA256: sha256File(t, path), Config: []byte("{}"), Timeout: timeout})
	}
	grow := wat(t, "testdata/wat/grow.wat")
	var growers []*wasmHandle
	for _, name := range []string{"grow-a", "grow-b", "grow-c", "grow-d"} {
		growers = append(growers, loadOn(name, grow, 300*time.Millisecond))
	}
	normal := loadOn("normal", testdetWasm(t), 5*time.Second)

	var (
		wg      sync.WaitGroup
		stop    = make(chan struct{})
		maxLive int64
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			if n := host.live.Load(); n > maxLive {
				maxLive = n
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	var calls sync.WaitGroup
	for _, h := range growers {
		for range 2 {
			calls.Add(1)
			go func() {
				defer calls.Done()
				if _, err := h.Detect(ctx, event("anything")); err == nil {
					t.Errorf("%s: a call that grows to the cap and spins succeeded", h.spec.Name)
				}
			}()
		}
	}
	calls.Wait()
	close(stop)
	wg.Wait()
	if maxLive > slots {
		t.Errorf("%d instances alive at once, host allows %d", maxLive, slots)
	}
	for _, h := range growers {
		h.mu.Lock()
		for _, inst := range h.idle {
			if inst.grew() {
				t.Errorf("%s keeps an instance of %d MiB in its pool", h.spec.Name, inst.mem.Size()>>20)
			}
		}
		h.mu.Unlock()
	}
	fs, err := normal.Detect(ctx, event("one needle"))
	if err != nil || len(fs) != 1 {
		t.Fatalf("the normal detector after the growers: %v %v", fs, err)
	}
}
