package audit_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/sdk"
)

// BenchmarkRecordComplete measures one durable Record and its Complete
// (two committed transactions), per driver.
func BenchmarkRecordComplete(b *testing.B) {
	for _, d := range drivers(b) {
		b.Run(d.name, func(b *testing.B) {
			s, err := audit.Open(b.Context(), d.config(b))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			res := result("block", true, time.Millisecond, fnd("secrets", "secrets", sdk.SeverityHigh, ""))
			for i := 0; b.Loop(); i++ {
				id := fmt.Sprintf("b%d", i)
				if _, _, err := s.Record(b.Context(), ev("acme", id, sdk.EventPreRequest, id, "s", t0)); err != nil {
					b.Fatal(err)
				}
				if err := s.Complete(b.Context(), id, res); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkQueries measures the Observatory's queries on a trail of
// PICKET_BENCH_EVENTS events (default 20000) in 200 sessions, on SQLite.
func BenchmarkQueries(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("PICKET_BENCH_EVENTS")); err == nil && v > 0 {
		n = v
	}
	path := filepath.Join(b.TempDir(), "bench.db")
	if p := os.Getenv("PICKET_BENCH_DB"); p != "" {
		path = p // kept, to look at query plans
	}
	s, err := audit.Open(b.Context(), audit.Config{Driver: "sqlite", DSN: path})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := b.Context()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				id := fmt.Sprintf("q%06d", i)
				e := ev("acme", id, sdk.EventPreRequest, id, fmt.Sprintf("sess%03d", i%200), t0.Add(time.Duration(i)*time.Second))
				if _, _, err := s.Record(ctx, e); err != nil {
					b.Error(err)
					return
				}
				var fs []audit.Finding
				if i%10 == 0 {
					fs = append(fs, fnd("secrets", "secrets", sdk.SeverityHigh, ""))
				}
				if err := s.Complete(ctx, id, result("allow", i%10 == 0, time.Duration(i%50)*time.Millisecond, fs...)); err != nil {
					b.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	span := time.Duration(n) * time.Second
	for _, q := range []struct {
		name string
		run  func() error
	}{
		{"ListEvents", func() error { _, err := s.ListEvents(ctx, "acme", audit.EventFilter{}); return err }},
		{"ListEventsDetector", func() error {
			_, err := s.ListEvents(ctx, "acme", audit.EventFilter{Detector: "secrets", MinSeverity: sdk.SeverityHigh})
			return err
		}},
		{"GetEvent", func() error { _, err := s.GetEvent(ctx, "acme", "q000010"); return err }},
		{"ListSessions", func() error { _, err := s.ListSessions(ctx, "acme", audit.SessionFilter{}); return err }},
		{"GetSession", func() error { _, err := s.GetSession(ctx, "acme", "sess007"); return err }},
		{"ListFindings", func() error { _, err := s.ListFindings(ctx, "acme", audit.FindingFilter{}); return err }},
		{"Stats", func() error {
			_, err := s.Stats(ctx, "acme", audit.StatsQuery{Since: t0, Until: t0.Add(span), Bucket: span / 48})
			return err
		}},
	} {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				if err := q.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
