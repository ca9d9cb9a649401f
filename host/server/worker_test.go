package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/internal/fixtures"
	"github.com/picketsec/picket/sdk"
)

// asyncFixture is a tool_call_entire_request body whose request ID is
// replaced by reqID.
func asyncFixture(t testing.TB, reqID string) []byte {
	t.Helper()
	for _, fx := range fixtures.All() {
		if fx.Name == "tool_call_entire_request.anthropic.claude-code-streamed" {
			var m map[string]any
			if err := json.Unmarshal(fx.Body, &m); err != nil {
				t.Fatal(err)
			}
			m["metadata"].(map[string]any)["request_id"] = reqID
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatal("fixture missing")
	return nil
}

// waitDrained waits until the work queue is empty and no event is pending,
// and fails with the backlog if that takes longer than within.
func (h *harness) waitDrained(within time.Duration) {
	h.t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(within)
	var b audit.Backlog
	for time.Now().Before(deadline) {
		var err error
		if b, err = h.store.Backlog(ctx); err != nil {
			h.t.Fatal(err)
		}
		if b.Depth == 0 {
			if p, err := h.store.Pending(ctx, 1); err != nil || len(p) != 0 {
				h.t.Fatalf("queue empty but events pending: %v %v", p, err)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatalf("not drained after %s: %+v", within, b)
}

// countEvents returns the events of tenant alpha and how many are evaluated.
func (h *harness) countEvents() (all, evaluated int) {
	h.t.Helper()
	ctx := context.Background()
	f := audit.EventFilter{Limit: 500}
	for {
		page, err := h.store.ListEvents(ctx, "alpha", f)
		if err != nil {
			h.t.Fatal(err)
		}
		for _, e := range page.Events {
			all++
			if e.Status == audit.StatusEvaluated {
				evaluated++
			}
		}
		if page.Next == "" {
			return
		}
		f.Cursor = page.Next
	}
}

// TestAsyncBurstIsAllEvaluated: a burst of asynchronous events much larger
// than any in-memory queue is acknowledged and, once drained, every event
// is evaluated exactly once.
func TestAsyncBurstIsAllEvaluated(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "enforce", nil)
	const n, clients = 1500, 8
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > n {
					return
				}
				rec := h.post(asyncFixture(t, fmt.Sprintf("burst-%d", i)))
				if rec.Code != http.StatusOK || rec.Body.String() != "{}" {
					t.Errorf("event %d: %d %s", i, rec.Code, rec.Body)
					return
				}
			}
		}()
	}
	wg.Wait()
	h.waitDrained(5 * time.Minute)
	all, evaluated := h.countEvents()
	if all != n || evaluated != n {
		t.Fatalf("after a burst of %d: %d recorded, %d evaluated", n, all, evaluated)
	}
	// The verdicts are the ones the policy gives this fixture.
	page, err := h.store.ListEvents(context.Background(), "alpha", audit.EventFilter{Limit: 1})
	if err != nil || len(page.Events) != 1 {
		t.Fatal(err)
	}
	d, err := h.store.GetEvent(context.Background(), "alpha", page.Events[0].ID)
	if err != nil || d.Result == nil || len(d.Result.Detectors) == 0 {
		t.Fatalf("an evaluated event without detector runs: %+v %v", d, err)
	}
}

// recordSealed records an asynchronous event as the hook does, without
// evaluating it (a process that stopped before its workers ran).
func recordSealed(t *testing.T, h *harness, id, reqID, text string) {
	t.Helper()
	ev := &sdk.Event{ID: id, Tenant: "alpha", Type: sdk.EventEntireRequest, RequestID: reqID,
		Items: []sdk.Item{{Index: 0, Kind: sdk.KindPrompt, Text: text}}}
	sealed, err := h.srv.sealer.seal(&spoolData{Event: ev, TenantMode: "enforce"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.store.Record(context.Background(), h.srv.auditEvent(ev, sealed)); err != nil {
		t.Fatal(err)
	}
}

// TestBacklogOfAnEarlierProcessIsEvaluated: however many events an earlier
// process left unevaluated, a new one evaluates them all.
func TestBacklogOfAnEarlierProcessIsEvaluated(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// The secrets detector alone: what is tested is the queue, not the
	// speed of every detector under the race detector.
	secrets := []config.Detector{{Name: "secrets", Source: "builtin", Enabled: true, MinSeverity: sdk.SeverityHigh, Action: config.ActionBlock, Fail: config.FailOpen, Config: []byte(`{}`)}}
	h := openHarness(t, dir, "enforce", secrets)
	h.close()
	store, err := audit.Open(context.Background(), audit.Config{Driver: "sqlite", DSN: dir + "/picket.db"})
	if err != nil {
		t.Fatal(err)
	}
	h.store = store
	const n = 1500 // more than the 1,024 the old recovery read
	for i := range n {
		recordSealed(t, h, fmt.Sprintf("ev_left_%04d", i), fmt.Sprintf("left-%d", i), "aws key AKIAKMCM3I6WGEIUWUCE")
	}
	// Some of them claimed by the process that died.
	if evs, err := store.Claim(context.Background(), "dead-process", 300, time.Hour); err != nil || len(evs) != 300 {
		t.Fatalf("claim: %d %v", len(evs), err)
	}
	store.Close()

	h2 := openHarness(t, dir, "enforce", secrets)
	h2.waitDrained(5 * time.Minute)
	all, evaluated := h2.countEvents()
	if all != n || evaluated != n {
		t.Fatalf("%d recorded, %d evaluated; want %d", all, evaluated, n)
	}
	page, err := h2.store.ListEvents(context.Background(), "alpha", audit.EventFilter{Decision: "block", Limit: 1})
	if err != nil || len(page.Events) != 1 {
		t.Errorf("the AWS key events were not evaluated to block: %+v %v", page, err)
	}
}

// TestRedeliveryRequeuesAStuckEvent: an event left out of the work (dead
// after too many failed claims) is evaluated when the gateway delivers it
// again.
func TestRedeliveryRequeuesAStuckEvent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "enforce", nil)
	ctx := context.Background()
	// Stop the workers so that the first delivery stays unevaluated.
	if err := h.srv.work.shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	body := asyncFixture(t, "stuck-1")
	if rec := h.post(body); rec.Code != 200 {
		t.Fatalf("first delivery: %d %s", rec.Code, rec.Body)
	}
	for range audit.MaxAttempts {
		if evs, err := h.store.Claim(ctx, "crashing-evaluator", 1, time.Hour); err != nil || len(evs) != 1 {
			t.Fatalf("claim: %v %v", evs, err)
		}
		if _, err := h.store.Release(ctx, "crashing-evaluator"); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ := h.store.Backlog(ctx); b.Dead != 1 {
		t.Fatalf("backlog: %+v; want one dead event", b)
	}
	h.srv.work = newWorkQueue(h.srv, DefaultInflight, DefaultLease)
	h.srv.work.start(2)
	rec := h.post(body)
	if rec.Code != 200 || rec.Header().Get("X-Picket-Duplicate") != "true" {
		t.Fatalf("redelivery: %d %v", rec.Code, rec.Header())
	}
	h.waitDrained(30 * time.Second)
	if all, evaluated := h.countEvents(); all != 1 || evaluated != 1 {
		t.Fatalf("%d recorded, %d evaluated", all, evaluated)
	}
}

func TestReadyzAndMetricsShowTheBacklog(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "enforce", []config.Detector{})
	if err := h.srv.work.shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if rec := h.post(asyncFixture(t, fmt.Sprintf("q-%d", i))); rec.Code != 200 {
			t.Fatal(rec.Body)
		}
	}
	time.Sleep(20 * time.Millisecond)
	rec := h.do(http.MethodGet, "/readyz", nil, nil)
	var body struct {
		Checks struct {
			Queue struct {
				Depth  int     `json:"depth"`
				Oldest float64 `json:"oldest_pending_seconds"`
			} `json:"queue"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Checks.Queue.Depth != 3 || body.Checks.Queue.Oldest <= 0 {
		t.Fatalf("/readyz: %s (%v)", rec.Body, err)
	}
	rec = h.do(http.MethodGet, "/metrics", nil, nil)
	for _, want := range []string{"picket_async_queue_depth 3\n", "picket_async_queue_dead 0\n"} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	var age float64
	if _, err := fmt.Sscanf(rec.Body.String()[strings.Index(rec.Body.String(), "\npicket_async_queue_oldest_seconds ")+1:], "picket_async_queue_oldest_seconds %g", &age); err != nil || age <= 0 {
		t.Errorf("picket_async_queue_oldest_seconds = %v (%v)", age, err)
	}
}

// TestReadyzReportsAStuckQueue: once the oldest pending event has waited
// past limits.max_pending_age while this process evaluated nothing,
// /readyz answers 503 with the reason, so that a load balancer drains it.
func TestReadyzReportsAStuckQueue(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "enforce", []config.Detector{})
	cfg := *h.cfg
	cfg.Limits.MaxPendingAge = time.Second
	if _, err := h.eng.Load(context.Background(), &cfg); err != nil {
		t.Fatal(err)
	}
	ready := func() (int, string) {
		rec := h.do(http.MethodGet, "/readyz", nil, nil)
		var body struct {
			Checks struct {
				Queue struct {
					Stuck string `json:"stuck"`
				} `json:"queue"`
			} `json:"checks"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("/readyz: %s (%v)", rec.Body, err)
		}
		return rec.Code, body.Checks.Queue.Stuck
	}
	if code, why := ready(); code != http.StatusOK || why != "" {
		t.Fatalf("/readyz before: %d %q", code, why)
	}
	// The workers stop (wedged); events keep coming.
	if err := h.srv.work.shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rec := h.post(asyncFixture(t, "stuck-1")); rec.Code != 200 {
		t.Fatal(rec.Body)
	}
	if code, why := ready(); code != http.StatusOK || why != "" {
		t.Fatalf("/readyz with a fresh pending event: %d %q", code, why)
	}
	time.Sleep(1200 * time.Millisecond)
	code, why := ready()
	if code != http.StatusServiceUnavailable || !strings.Contains(why, "limits.max_pending_age 1s") || !strings.Contains(why, "committed no result") {
		t.Fatalf("/readyz when stuck: %d %q", code, why)
	}
	// Off: ready again.
	cfg.Limits.MaxPendingAge = 0
	if _, err := h.eng.Load(context.Background(), &cfg); err != nil {
		t.Fatal(err)
	}
	if code, why := ready(); code != http.StatusOK || why != "" {
		t.Fatalf("/readyz with the check off: %d %q", code, why)
	}
}

func TestStuckReason(t *testing.T) {
	t.Parallel()
	now := time.Unix(10000, 0)
	old := audit.Backlog{Depth: 5, OldestLive: now.Add(-10 * time.Minute)}
	tests := map[string]struct {
		b        audit.Backlog
		progress time.Time
		held     int64
		stopped  bool
		stuck    bool
	}{
		"old work, no progress":                 {b: old, progress: now.Add(-time.Hour), stuck: true},
		"old work, progress":                    {b: old, progress: now.Add(-time.Minute)},
		"old work, stopped":                     {b: old, progress: now, stopped: true, stuck: true},
		"fresh work, no progress":               {b: audit.Backlog{Depth: 5, OldestLive: now.Add(-time.Minute)}, progress: now.Add(-time.Hour)},
		"empty":                                 {b: audit.Backlog{}, progress: now.Add(-time.Hour)},
		"only dead events":                      {b: audit.Backlog{Depth: 2, Dead: 2, Oldest: now.Add(-time.Hour)}, progress: now.Add(-time.Hour)},
		"idle while another replica holds work": {b: audit.Backlog{Depth: 5, Claimed: 5, OldestLive: now.Add(-time.Hour)}, progress: now.Add(-time.Hour)},
		"holds old work, no progress":           {b: audit.Backlog{Depth: 5, Claimed: 5, OldestLive: now.Add(-time.Hour)}, progress: now.Add(-time.Hour), held: 3, stuck: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			why := stuckReason(tt.b, 5*time.Minute, now, tt.progress, tt.held, tt.stopped)
			if (why != "") != tt.stuck {
				t.Errorf("stuckReason = %q, want stuck %v", why, tt.stuck)
			}
			if stuckReason(tt.b, 0, now, tt.progress, tt.held, tt.stopped) != "" {
				t.Error("stuck with the check off")
			}
		})
	}
}
