package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
)

func TestLimitWatch(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	at := func(d time.Duration, rss int64, cpu time.Duration) procSample {
		return procSample{at: t0.Add(d), rss: rss, cpu: cpu}
	}
	tests := map[string]struct {
		spec    Spec
		samples []procSample
		want    string // substring of the error of the last sample; "" for none
	}{
		"memory under": {spec: Spec{MaxMemory: 64 << 20}, samples: []procSample{at(0, 64<<20, 0)}},
		"memory over":  {spec: Spec{MaxMemory: 64 << 20}, samples: []procSample{at(0, 65<<20, 0)}, want: "resident memory 65 MiB over its limit of 64 MiB"},
		"cpu before a full window": {spec: Spec{MaxCPU: 0.5, CPUWindow: time.Second},
			samples: []procSample{at(0, 0, 0), at(500*time.Millisecond, 0, 500*time.Millisecond)}},
		"cpu over a window": {spec: Spec{MaxCPU: 0.5, CPUWindow: time.Second},
			samples: []procSample{at(0, 0, 0), at(500*time.Millisecond, 0, 500*time.Millisecond), at(time.Second, 0, time.Second)}, want: "used 1.00 CPUs over 1s, over its limit of 0.50"},
		"cpu under a window": {spec: Spec{MaxCPU: 0.5, CPUWindow: time.Second},
			samples: []procSample{at(0, 0, 0), at(time.Second, 0, 400*time.Millisecond)}},
		// A burst long ago is out of the window: only the last second counts.
		"old burst": {spec: Spec{MaxCPU: 0.5, CPUWindow: time.Second},
			samples: []procSample{at(0, 0, 0), at(time.Second, 0, 400*time.Millisecond), at(2*time.Second, 0, 800*time.Millisecond), at(3*time.Second, 0, 1100*time.Millisecond)}},
		"no bounds": {samples: []procSample{at(0, 1<<40, 0), at(time.Hour, 1<<40, time.Hour)}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newLimitWatch(tt.spec)
			var err error
			for i, s := range tt.samples {
				err = w.over(s)
				if i < len(tt.samples)-1 && err != nil {
					t.Fatalf("sample %d: %v", i, err)
				}
			}
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("over = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("over = %v, want %q", err, tt.want)
			}
			if len(w.samples) > len(tt.samples) {
				t.Errorf("%d samples kept", len(w.samples))
			}
		})
	}
}

func TestOOMWatch(t *testing.T) {
	t.Parallel()
	for name, text := range map[string]string{
		"go":   "fatal error: runtime: out of memory\n\ngoroutine 1 [running]:\n",
		"rust": "memory allocation of 1048576 bytes failed\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var seen atomic.Bool
			// One byte per read: the phrase is always cut between reads.
			r := &oomWatch{r: io.NopCloser(iotest.OneByteReader(strings.NewReader("some log line\n" + text))), seen: &seen}
			if b, err := io.ReadAll(r); err != nil || !strings.HasSuffix(string(b), text) {
				t.Fatalf("read %q, %v", b, err)
			}
			if !seen.Load() {
				t.Error("out of memory not noticed")
			}
		})
	}
	var seen atomic.Bool
	io.ReadAll(&oomWatch{r: io.NopCloser(strings.NewReader("memory is fine\n")), seen: &seen})
	if seen.Load() {
		t.Error("noticed an out of memory in an ordinary line")
	}
}

// waitRestart waits for h's first restart and returns its reason.
func waitRestart(t *testing.T, h Handle, within time.Duration) string {
	t.Helper()
	r := h.(Restarts)
	for end := time.Now().Add(within); ; time.Sleep(50 * time.Millisecond) {
		if n, last := r.Restarts(); n > 0 {
			return last.Reason
		}
		if time.Now().After(end) {
			t.Fatalf("not restarted within %v", within)
		}
	}
}

func skipWithoutLimits(t *testing.T) {
	if !limitsSupported {
		t.Skip(errNoLimitsText)
	}
}

// TestProcessMemoryBound: a plugin whose memory grows in the background
// (its calls still answer) is killed once its resident memory passes its
// bound, restarted with its config, and says why.
func TestProcessMemoryBound(t *testing.T) {
	t.Parallel()
	skipWithoutLimits(t)
	h := load(t, SourceProcess, testdetProcess(t, ""), "", func(s *Spec) { s.MaxMemory = 64 << 20 })
	pid := h.(*processHandle).pid()
	if _, err := h.Detect(context.Background(), event("@@fault:leak")); err != nil {
		t.Fatalf("Detect: %v", err)
	}
	reason := waitRestart(t, h, 30*time.Second)
	if !strings.Contains(reason, "resident memory") || !strings.Contains(reason, "over its limit of 64 MiB") {
		t.Errorf("restart reason %q", reason)
	}
	expectWorks(t, h)
	if got := h.(*processHandle).pid(); got == pid {
		t.Error("the process was not replaced")
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil && !isZombie(pid) {
		t.Errorf("the old process %d still runs", pid)
	}
}

// TestProcessMemoryCappedAtStart: the data segment of a plugin is capped
// by the kernel from its start (an allocation faster than the watch must
// still stop), and a plugin that allocates without bound inside a call is
// restarted for its memory.
func TestProcessMemoryCappedAtStart(t *testing.T) {
	t.Parallel()
	skipWithoutLimits(t)
	h := load(t, SourceProcess, testdetProcess(t, ""), "", func(s *Spec) { s.MaxMemory = 64 << 20; s.Timeout = 10 * time.Second })
	limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", h.(*processHandle).pid()))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprint(64<<20 + dataHeadroom)
	var line string
	for _, l := range strings.Split(string(limits), "\n") {
		if strings.HasPrefix(l, "Max data size") {
			line = l
		}
	}
	if f := strings.Fields(line); len(f) < 5 || f[3] != want || f[4] != want {
		t.Fatalf("data limit %q, want %s bytes", line, want)
	}
	if _, err := h.Detect(context.Background(), event("@@fault:grow")); err == nil {
		t.Fatal("Detect of a plugin that allocates without bound succeeded")
	}
	reason := waitRestart(t, h, 30*time.Second)
	t.Logf("restarted: %s", reason)
	if !strings.Contains(reason, "memory") {
		t.Errorf("restart reason %q, want one about memory", reason)
	}
	expectWorks(t, h)
}

// TestProcessCPUBound: a plugin that spins on every CPU in the background
// (its calls still answer) is killed once it has used more than its CPU
// bound over the window, and restarted.
func TestProcessCPUBound(t *testing.T) {
	t.Parallel()
	skipWithoutLimits(t)
	h := load(t, SourceProcess, testdetProcess(t, ""), `{"word":"pin"}`, func(s *Spec) { s.MaxCPU = 0.1; s.CPUWindow = time.Second })
	if _, err := h.Detect(context.Background(), event("@@fault:spin")); err != nil {
		t.Fatalf("Detect: %v", err)
	}
	reason := waitRestart(t, h, 30*time.Second)
	if !strings.Contains(reason, "CPUs over") || !strings.Contains(reason, "over its limit of 0.10") {
		t.Errorf("restart reason %q", reason)
	}
	// Back with its config.
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		fs, err := h.Detect(context.Background(), event("a pin"))
		if err == nil {
			if len(fs) != 1 {
				t.Fatalf("after the restart: %+v", fs)
			}
			break
		}
		if time.Now().After(end) {
			t.Fatalf("after the restart: %v", err)
		}
	}
}

// TestProcessWithinBoundsKeepsRunning: bounds do not touch a plugin that
// keeps within them.
func TestProcessWithinBoundsKeepsRunning(t *testing.T) {
	t.Parallel()
	skipWithoutLimits(t)
	h := load(t, SourceProcess, testdetProcess(t, ""), "", func(s *Spec) {
		s.MaxMemory, s.MaxCPU, s.CPUWindow = 64<<20, 0.9, 500*time.Millisecond
	})
	for end := time.Now().Add(1500 * time.Millisecond); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		expectWorks(t, h)
	}
	if n, last := h.(Restarts).Restarts(); n != 0 {
		t.Errorf("restarted %d times (%s)", n, last.Reason)
	}
}

func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && strings.HasPrefix(strings.TrimSpace(string(b[i+1:])), "Z")
}

// TestWasmMemoryBound: Options.WasmMemory (limits.wasm_memory) sizes how
// many WASM instances a host keeps alive, all detectors together; a new
// bound for a running host waits for the next start.
func TestWasmMemoryBound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		total int64
		slots int
	}{{256 << 20, 2}, {0, DefaultWasmMemory / (128 << 20)}, {1 << 30, 8}} {
		dir := t.TempDir()
		h, err := hostFor(ctx, dir, tc.total, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			wasmHostsMu.Lock()
			delete(wasmHosts, dir)
			wasmHostsMu.Unlock()
			h.rt.Close(ctx)
		})
		if cap(h.slots) != tc.slots {
			t.Errorf("WasmMemory %d: %d instance slots, want %d", tc.total, cap(h.slots), tc.slots)
		}
		again, err := hostFor(ctx, dir, 4*tc.total+(128<<20), testLogger(t))
		if err != nil || again != h || cap(again.slots) != tc.slots {
			t.Errorf("a second load with another bound changed the running host: %v", err)
		}
	}
}
