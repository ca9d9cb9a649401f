package runtime

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dustin/go-humanize"
)

// Process plugin bounds. A plugin process is watched from the host: its
// resident memory over Spec.MaxMemory, or its CPU time over Spec.MaxCPU
// CPUs averaged over Spec.CPUWindow, kills it, and it is restarted like
// after a crash. The watch is a poll, so an allocation faster than the poll
// is stopped by the kernel instead: the plugin's data segment
// (RLIMIT_DATA, set right after it starts) is capped at MaxMemory plus
// dataHeadroom, and past it the plugin's allocations fail.
const (
	// DefaultCPUWindow is the window over which a process plugin's CPU use
	// is averaged when Spec.CPUWindow is 0.
	DefaultCPUWindow = 5 * time.Second
	// limitPoll is how often a plugin process's memory and CPU are read.
	limitPoll = 100 * time.Millisecond
	// dataHeadroom is the data a process may map beyond MaxMemory: a Go
	// gRPC plugin maps about 120 MiB (thread stacks, the heap's arena
	// index) that it never touches, so a cap at MaxMemory itself would
	// stop a plugin that is well under it in resident memory.
	dataHeadroom = 256 << 20
)

// procSample is what a plugin process has used so far.
type procSample struct {
	at  time.Time
	rss int64         // resident memory, bytes
	cpu time.Duration // user and system CPU time since it started
}

// limitWatch decides, from successive samples, whether a plugin is over
// its bounds.
type limitWatch struct {
	maxMemory int64
	maxCPU    float64
	window    time.Duration
	samples   []procSample // within the window, oldest first
}

func newLimitWatch(spec Spec) *limitWatch {
	w := &limitWatch{maxMemory: spec.MaxMemory, maxCPU: spec.MaxCPU, window: spec.CPUWindow}
	if w.window <= 0 {
		w.window = DefaultCPUWindow
	}
	return w
}

// over adds s and returns why the plugin is over its bounds, or nil.
func (w *limitWatch) over(s procSample) error {
	if w.maxMemory > 0 && s.rss > w.maxMemory {
		return fmt.Errorf("resident memory %s over its limit of %s", size(s.rss), size(w.maxMemory))
	}
	if w.maxCPU <= 0 {
		return nil
	}
	w.samples = append(w.samples, s)
	first := w.samples[0]
	span := s.at.Sub(first.at)
	if span < w.window {
		return nil
	}
	used := float64(s.cpu-first.cpu) / float64(span)
	// Keep the samples of the last window only.
	i := 0
	for i < len(w.samples)-1 && s.at.Sub(w.samples[i+1].at) >= w.window {
		i++
	}
	w.samples = append(w.samples[:0], w.samples[i:]...)
	if used > w.maxCPU {
		return fmt.Errorf("used %.2f CPUs over %s, over its limit of %.2f", used, span.Round(100*time.Millisecond), w.maxCPU)
	}
	return nil
}

// size formats n bytes in binary units ("64 MiB").
func size(n int64) string { return humanize.IBytes(uint64(max(n, 0))) }

// oomWatch passes a plugin's stderr on and notes whether the plugin said it
// ran out of memory (Go's runtime: "fatal error: runtime: out of memory";
// Rust: "memory allocation of N bytes failed"), so that its exit is
// reported for what it is.
type oomWatch struct {
	r    io.ReadCloser
	seen *atomic.Bool
	tail []byte        // the end of the last read, for a phrase cut between reads
	done chan struct{} // closed at the end of the stream (nil: not wanted)
	once sync.Once
}

var oomPhrases = [][]byte{[]byte("out of memory"), []byte("memory allocation of")}

func (o *oomWatch) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	if n > 0 && !o.seen.Load() {
		buf := append(o.tail, p[:n]...)
		for _, ph := range oomPhrases {
			if bytes.Contains(buf, ph) {
				o.seen.Store(true)
			}
		}
		keep := min(len(buf), 32)
		o.tail = append(o.tail[:0], buf[len(buf)-keep:]...)
	}
	if err != nil && o.done != nil {
		o.once.Do(func() { close(o.done) })
	}
	return n, err
}

func (o *oomWatch) Close() error { return o.r.Close() }
