package engine

import (
	"slices"
	"sync"
	"time"
)

// stats keeps one detector's call counts and a window of recent latencies,
// enough for p50/p99 on the detectors page. It outlives reloads that keep
// the detector.
type stats struct {
	mu       sync.Mutex
	calls    uint64
	errors   uint64
	timeouts uint64
	findings uint64
	window   [1024]time.Duration
	n        int // samples written, saturating at len(window) for reads
	next     int
	// failures and timeoutRun count the calls in a row that failed and
	// that timed out; lastFailure is the outcome of the last failure.
	failures    int
	timeoutRun  int
	lastFailure string
}

// record counts one call. It returns true when this call makes
// RestartAfter timeouts in a row (the run then starts again).
func (s *stats) record(d time.Duration, outcome string, findings int) (restart bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	switch outcome {
	case OutcomeError:
		s.errors++
		s.failures++
		s.timeoutRun = 0
		s.lastFailure = outcome
	case OutcomeTimeout:
		s.timeouts++
		s.failures++
		s.timeoutRun++
		s.lastFailure = outcome
		if s.timeoutRun >= RestartAfter {
			s.timeoutRun = 0
			restart = true
		}
	case OutcomeOK:
		s.failures, s.timeoutRun = 0, 0
	}
	s.findings += uint64(findings)
	s.window[s.next] = d
	s.next = (s.next + 1) % len(s.window)
	if s.n < len(s.window) {
		s.n++
	}
	return restart
}

// failing returns how many calls in a row failed, and how the last did.
func (s *stats) failing() (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failures, s.lastFailure
}

// Stats is a snapshot of a detector's counters.
type Stats struct {
	Calls    uint64        `json:"calls"`
	Errors   uint64        `json:"errors"`
	Timeouts uint64        `json:"timeouts"`
	Findings uint64        `json:"findings"`
	P50      time.Duration `json:"p50_ns"`
	P99      time.Duration `json:"p99_ns"`
}

func (s *stats) snapshot() Stats {
	s.mu.Lock()
	sample := slices.Clone(s.window[:s.n])
	out := Stats{Calls: s.calls, Errors: s.errors, Timeouts: s.timeouts, Findings: s.findings}
	s.mu.Unlock()
	if len(sample) > 0 {
		slices.Sort(sample)
		out.P50 = sample[(len(sample)-1)*50/100]
		out.P99 = sample[(len(sample)-1)*99/100]
	}
	return out
}
