package runtime

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/picketsec/picket/sdk"
)

func event(texts ...string) *sdk.Event {
	ev := &sdk.Event{ID: "e", Type: sdk.EventPreRequest}
	for i, s := range texts {
		ev.Items = append(ev.Items, sdk.Item{Index: i, Kind: sdk.KindPrompt, Text: s})
	}
	return ev
}

// expectWorks checks that h answers a normal event correctly, waiting up to
// 10s for a restarted plugin to come back.
func expectWorks(t *testing.T, h Handle) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		fs, err := h.Detect(context.Background(), event("one needle"))
		if err == nil {
			if len(fs) != 1 || fs[0].Start != 4 || fs[0].End != 10 {
				t.Fatalf("after the fault: findings %+v, want one at [4,10)", fs)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the fault: Detect still fails after 10s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestProcessFaults(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		text    string
		timeout time.Duration
		want    string // substring of the error
	}{
		"crash mid-call":  {text: "@@fault:crash", want: "detect"},
		"hang":            {text: "@@fault:hang", timeout: 300 * time.Millisecond, want: "eadline"}, // gRPC's DeadlineExceeded or the context's "deadline exceeded", whichever ends the call first
		"garbage answer":  {text: "@@fault:garbage", want: "invalid findings"},
		"panic":           {text: "@@fault:panic", want: "panicked"},
		"detector error":  {text: "@@fault:error", want: "deliberate failure"},
		"ignores timeout": {text: "@@fault:slow", timeout: 200 * time.Millisecond, want: "eadline"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := load(t, SourceProcess, testdetProcess(t, ""), "", func(s *Spec) { s.Timeout = tt.timeout })
			start := time.Now()
			_, err := h.Detect(context.Background(), event("a needle", tt.text))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Detect = %v, want an error containing %q", err, tt.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("the failed call took %v", d)
			}
			expectWorks(t, h)
			if err := h.Healthy(); err != nil {
				t.Errorf("Healthy after recovery: %v", err)
			}
		})
	}
}

// TestProcessCrashRestart checks that calls fail fast while a crashed plugin
// is down, and that the restarted plugin keeps its config.
func TestProcessCrashRestart(t *testing.T) {
	t.Parallel()
	h := load(t, SourceProcess, testdetProcess(t, ""), `{"word":"pin"}`)
	ph := h.(*processHandle)
	pid := ph.pid()
	if _, err := h.Detect(context.Background(), event("@@fault:crash")); err == nil {
		t.Fatal("crash: no error")
	}
	if err := h.Healthy(); err == nil {
		t.Error("Healthy = nil right after the crash")
	}
	deadline := time.Now().Add(10 * time.Second)
	for h.Healthy() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("not restarted after 10s: %v", h.Healthy())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if newPid := ph.pid(); newPid == pid {
		t.Errorf("same pid %d after restart", pid)
	}
	fs, err := h.Detect(context.Background(), event("a pin and a needle"))
	if err != nil || len(fs) != 1 || fs[0].Start != 2 {
		t.Fatalf("after restart: %+v, %v (want the configured word)", fs, err)
	}
}

// TestProcessStdoutSpam: a plugin that writes a huge line to its raw
// stdout keeps answering: the host keeps reading what it writes there.
func TestProcessStdoutSpam(t *testing.T) {
	t.Parallel()
	h := load(t, SourceProcess, testdetProcess(t, ""), "", func(s *Spec) { s.Timeout = 5 * time.Second })
	for i := range 3 {
		if _, err := h.Detect(context.Background(), event("@@fault:spam")); err != nil {
			t.Fatalf("call %d after writing 1 MiB lines to stdout: %v", i, err)
		}
	}
	expectWorks(t, h)
}

// TestProcessRestart: Restart (what the engine does after timeouts in a
// row) replaces the process and keeps the config.
func TestProcessRestart(t *testing.T) {
	t.Parallel()
	h := load(t, SourceProcess, testdetProcess(t, ""), `{"word":"pin"}`)
	ph := h.(*processHandle)
	pid := ph.pid()
	ph.Restart(errors.New("3 timeouts in a row"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		newPid := 0
		if ph.Healthy() == nil {
			newPid = ph.pid()
		}
		if newPid != 0 && newPid != pid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not restarted after 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	fs, err := h.Detect(context.Background(), event("a pin"))
	if err != nil || len(fs) != 1 {
		t.Fatalf("after restart: %+v %v (want the configured word)", fs, err)
	}
}

// TestProcessKilled checks that a plugin killed from outside (by an
// operator, the OOM killer) fails only the calls made while it is down.
func TestProcessKilled(t *testing.T) {
	t.Parallel()
	h := load(t, SourceProcess, testdetProcess(t, ""), "")
	pid := h.(*processHandle).pid()
	proc, err := os.FindProcess(pid)
	if err != nil {
		t.Fatal(err)
	}
	if err := proc.Kill(); err != nil {
		t.Fatal(err)
	}
	expectWorks(t, h)
}

// TestWasmNilEvent checks that a nil event is an empty request, not stale
// arguments.
func TestWasmNilEvent(t *testing.T) {
	t.Parallel()
	h := load(t, SourceWasm, testdetWasm(t), "")
	if _, err := h.Detect(context.Background(), event("a needle")); err != nil {
		t.Fatal(err)
	}
	if fs, err := h.Detect(context.Background(), nil); err != nil || len(fs) != 0 {
		t.Fatalf("Detect(nil) = %v, %v", fs, err)
	}
}

func TestProcessClose(t *testing.T) {
	t.Parallel()
	h := load(t, SourceProcess, testdetProcess(t, ""), "")
	client := h.(*processHandle).client
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if !client.Exited() {
		t.Error("plugin process still running after Close")
	}
	if _, err := h.Detect(context.Background(), event("x")); err == nil {
		t.Error("Detect after Close succeeded")
	}
}

func TestWasmFaults(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		text    string
		timeout time.Duration
		want    string
	}{
		"loops forever":      {text: "@@fault:loop", timeout: 300 * time.Millisecond, want: "deadline exceeded"},
		"grows memory":       {text: "@@fault:grow", want: "detect"},
		"panic is recovered": {text: "@@fault:panic", want: "panicked"},
		"garbage answer":     {text: "@@fault:garbage", want: "invalid findings"},
		"detector error":     {text: "@@fault:error", want: "deliberate failure"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := load(t, SourceWasm, testdetWasm(t), "", func(s *Spec) { s.Timeout = tt.timeout })
			_, err := h.Detect(context.Background(), event("a needle", tt.text))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Detect = %v, want an error containing %q", err, tt.want)
			}
			expectWorks(t, h)
		})
	}
}

func TestWasmWatFaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("trap", func(t *testing.T) {
		t.Parallel()
		h := load(t, SourceWasm, wat(t, "testdata/wat/trap.wat"), "")
		if fs, err := h.Detect(ctx, event("small")); err != nil || len(fs) != 0 {
			t.Fatalf("small event: %v, %v", fs, err)
		}
		for i := 0; i < 3; i++ {
			_, err := h.Detect(ctx, event(strings.Repeat("x", 200)))
			if err == nil || !strings.Contains(err.Error(), "unreachable") {
				t.Fatalf("big event: %v, want a trap", err)
			}
			if fs, err := h.Detect(ctx, event("small")); err != nil || len(fs) != 0 {
				t.Fatalf("small event after a trap: %v, %v", fs, err)
			}
		}
	})
	t.Run("loop", func(t *testing.T) {
		t.Parallel()
		h := load(t, SourceWasm, wat(t, "testdata/wat/loop.wat"), "", func(s *Spec) { s.Timeout = 100 * time.Millisecond })
		start := time.Now()
		_, err := h.Detect(ctx, event("x"))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Detect = %v, want deadline exceeded", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("the looping call took %v", d)
		}
	})
	for _, name := range []string{"garbage-ptr", "garbage-bytes"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := load(t, SourceWasm, wat(t, "testdata/wat/"+name+".wat"), "")
			for i := 0; i < 2; i++ {
				if _, err := h.Detect(ctx, event("x")); err == nil {
					t.Fatalf("Detect succeeded, want an error")
				}
			}
		})
	}
}

// TestWasmConcurrent runs many calls at once through the instance pool.
func TestWasmConcurrent(t *testing.T) {
	t.Parallel()
	h := load(t, SourceWasm, testdetWasm(t), "")
	errc := make(chan error, 64)
	for i := 0; i < 64; i++ {
		go func() {
			fs, err := h.Detect(context.Background(), event("needle "+strings.Repeat("y", i*10)+" needle"))
			if err == nil && len(fs) != 2 {
				err = errors.New("wrong findings")
			}
			errc <- err
		}()
	}
	for i := 0; i < 64; i++ {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
}
