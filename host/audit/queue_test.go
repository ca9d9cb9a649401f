package audit_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/sdk"
)

func recordN(t *testing.T, s audit.Store, prefix string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("%s%04d", prefix, i)
		mustRecord(t, s, ev("acme", ids[i], sdk.EventEntireRequest, ids[i], fmt.Sprintf("s%d", i%3), t0.Add(time.Duration(i)*time.Millisecond)))
	}
	return ids
}

func claimIDs(t *testing.T, s audit.Store, owner string, limit int, lease time.Duration) []string {
	t.Helper()
	evs, err := s.Claim(testCtx(t), owner, limit, lease)
	if err != nil {
		t.Fatalf("claim %s: %v", owner, err)
	}
	ids := make([]string, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
		if string(e.Spool) != "sealed-"+e.ID || len(e.Items) != 1 || e.Tenant != "acme" {
			t.Errorf("claimed %s without its content: %+v", e.ID, e)
		}
	}
	return ids
}

func completions(ids []string) []audit.Completion {
	out := make([]audit.Completion, len(ids))
	for i, id := range ids {
		out[i] = audit.Completion{ID: id, Result: result("allow", false, time.Millisecond, fnd("secrets", "secrets", sdk.SeverityLow, ""))}
	}
	return out
}

func backlog(t *testing.T, s audit.Store) audit.Backlog {
	t.Helper()
	b, err := s.Backlog(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestQueueClaimAndComplete(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx := testCtx(t)
		ids := recordN(t, s, "q", 10)
		if b := backlog(t, s); b.Depth != 10 || b.Claimed != 0 || !b.Oldest.Equal(t0) || !b.OldestLive.Equal(t0) || b.Claimable() != 10 {
			t.Fatalf("backlog after 10 records: %+v", b)
		}
		a := claimIDs(t, s, "a", 4, time.Minute)
		b := claimIDs(t, s, "b", 4, time.Minute)
		if fmt.Sprint(a) != fmt.Sprint(ids[:4]) || fmt.Sprint(b) != fmt.Sprint(ids[4:8]) {
			t.Fatalf("claims: a=%v b=%v; want the oldest first, each once", a, b)
		}
		if bl := backlog(t, s); bl.Depth != 10 || bl.Claimed != 8 || bl.Claimable() != 2 {
			t.Errorf("backlog with 8 claimed: %+v", bl)
		}
		skipped, err := s.CompleteClaimed(ctx, completions(a))
		if err != nil || len(skipped) != 0 {
			t.Fatalf("complete a: skipped=%v err=%v", skipped, err)
		}
		if bl := backlog(t, s); bl.Depth != 6 || bl.Claimed != 4 || !bl.Oldest.Equal(t0.Add(4*time.Millisecond)) {
			t.Errorf("backlog after completing 4: %+v", bl)
		}
		for _, id := range a {
			d, err := s.GetEvent(ctx, "acme", id)
			if err != nil || d.Status != audit.StatusEvaluated || d.Result == nil || len(d.Result.Findings) != 1 {
				t.Errorf("%s after CompleteClaimed: %+v %v", id, d, err)
			}
		}
		// Completing again (a worker that lost its lease) changes nothing.
		skipped, err = s.CompleteClaimed(ctx, completions(a[:1]))
		if err != nil || len(skipped) != 1 || skipped[0] != a[0] {
			t.Errorf("second completion: skipped=%v err=%v", skipped, err)
		}
		// Release gives b's claims back at once.
		if n, err := s.Release(ctx, "b"); err != nil || n != 4 {
			t.Fatalf("release b: %d %v", n, err)
		}
		c := claimIDs(t, s, "c", 100, time.Minute)
		if fmt.Sprint(c) != fmt.Sprint(ids[4:]) {
			t.Errorf("after release: c=%v, want %v", c, ids[4:])
		}
		if n, err := s.Renew(ctx, "c", time.Hour); err != nil || n != 6 {
			t.Errorf("renew c: %d %v", n, err)
		}
		if _, err := s.CompleteClaimed(ctx, completions(c)); err != nil {
			t.Fatal(err)
		}
		if bl := backlog(t, s); bl.Depth != 0 || !bl.Oldest.IsZero() {
			t.Errorf("backlog when done: %+v", bl)
		}
		if p, _ := s.Pending(ctx, 100); len(p) != 0 {
			t.Errorf("%d still pending", len(p))
		}
		// The old one-by-one Complete also takes events off the queue.
		more := recordN(t, s, "r", 2)
		mustComplete(t, s, more[0], result("allow", false, time.Millisecond))
		if got := claimIDs(t, s, "a", 10, time.Minute); fmt.Sprint(got) != fmt.Sprint(more[1:]) {
			t.Errorf("after Complete: claimed %v", got)
		}
	})
}

// TestQueueLeaseTakeover: a worker that dies leaves its claims; once the
// lease has run out another worker takes them over.
func TestQueueLeaseTakeover(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx := testCtx(t)
		ids := recordN(t, s, "l", 5)
		const lease = 2 * time.Second
		claimed := time.Now()
		dead := claimIDs(t, s, "dead", 5, lease)
		if len(dead) != 5 {
			t.Fatalf("claimed %v", dead)
		}
		if got := claimIDs(t, s, "live", 5, time.Minute); len(got) != 0 {
			if time.Since(claimed) < lease {
				t.Fatalf("took over live claims: %v", got)
			}
			// The machine was slower than the lease: give them back.
			if _, err := s.Release(ctx, "live"); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(time.Until(claimed.Add(lease + 100*time.Millisecond)))
		if n, _ := s.Renew(ctx, "dead", time.Minute); n != 0 {
			t.Errorf("renewed %d expired claims", n)
		}
		got := claimIDs(t, s, "live", 5, time.Minute)
		if fmt.Sprint(got) != fmt.Sprint(ids) {
			t.Fatalf("after the lease: claimed %v, want %v", got, ids)
		}
		if _, err := s.CompleteClaimed(ctx, completions(got)); err != nil {
			t.Fatal(err)
		}
		// The dead worker comes back and completes: skipped, counted once.
		skipped, err := s.CompleteClaimed(ctx, completions(dead))
		if err != nil || len(skipped) != 5 {
			t.Errorf("late completion: skipped=%v err=%v", skipped, err)
		}
		sess, err := s.GetSession(ctx, "acme", "s0")
		if err != nil || sess.Findings != 2 {
			t.Errorf("session s0 findings = %+v %v; want 2 (each event once)", sess, err)
		}
	})
}

// TestQueueDuplicateRearmsDeadEvent: an event that keeps failing goes dead
// after MaxAttempts claims; a redelivery of it (same request ID) puts it
// back to work.
func TestQueueDuplicateRearmsDeadEvent(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx := testCtx(t)
		e := ev("acme", "poison", sdk.EventEntireRequest, "req-1", "", t0)
		mustRecord(t, s, e)
		for i := range audit.MaxAttempts {
			if got := claimIDs(t, s, "w", 1, time.Minute); len(got) != 1 {
				t.Fatalf("claim %d: %v", i, got)
			}
			if _, err := s.Release(ctx, "w"); err != nil {
				t.Fatal(err)
			}
		}
		if got := claimIDs(t, s, "w", 1, time.Minute); len(got) != 0 {
			t.Fatalf("claimed past MaxAttempts: %v", got)
		}
		if b := backlog(t, s); b.Depth != 1 || b.Dead != 1 || !b.Oldest.Equal(t0) || !b.OldestLive.IsZero() || b.Claimable() != 0 {
			t.Errorf("backlog with a dead event: %+v", b)
		}
		id, dup, err := s.Record(ctx, ev("acme", "redelivered", sdk.EventEntireRequest, "req-1", "", t0.Add(time.Second)))
		if err != nil || !dup || id != "poison" {
			t.Fatalf("redelivery: id=%s dup=%v err=%v", id, dup, err)
		}
		if b := backlog(t, s); b.Dead != 0 || !b.OldestLive.Equal(t0) || b.Claimable() != 1 {
			t.Errorf("backlog after the redelivery: %+v", b)
		}
		if got := claimIDs(t, s, "w", 1, time.Minute); fmt.Sprint(got) != "[poison]" {
			t.Errorf("after redelivery: claimed %v", got)
		}
		if _, err := s.CompleteClaimed(ctx, completions([]string{"poison"})); err != nil {
			t.Fatal(err)
		}
		// A redelivery of an evaluated event queues nothing.
		if _, dup, _ := s.Record(ctx, ev("acme", "again", sdk.EventEntireRequest, "req-1", "", t0.Add(2*time.Second))); !dup {
			t.Error("not a duplicate")
		}
		if b := backlog(t, s); b.Depth != 0 {
			t.Errorf("backlog after redelivery of an evaluated event: %+v", b)
		}
	})
}

// TestQueueSharedByWorkers: workers on two stores of one database claim
// concurrently; every event is claimed exactly once and the queue ends
// empty, whatever the backlog.
func TestQueueSharedByWorkers(t *testing.T) {
	t.Parallel()
	forEachConfig(t, func(t *testing.T, cfg audit.Config) {
		ctx := testCtx(t)
		stores := []audit.Store{openStore(t, cfg), openStore(t, cfg)}
		const n = 600
		recordN(t, stores[0], "w", n)
		var (
			mu   sync.Mutex
			seen = map[string]string{}
			wg   sync.WaitGroup
		)
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := stores[w%2]
				owner := fmt.Sprintf("worker-%d", w)
				for {
					evs, err := s.Claim(ctx, owner, 37, time.Minute)
					if err != nil {
						t.Errorf("%s: claim: %v", owner, err)
						return
					}
					if len(evs) == 0 {
						return
					}
					var got []string
					mu.Lock()
					for _, e := range evs {
						if prev, ok := seen[e.ID]; ok {
							t.Errorf("%s claimed by %s and %s", e.ID, prev, owner)
						}
						seen[e.ID] = owner
						got = append(got, e.ID)
					}
					mu.Unlock()
					if _, err := s.CompleteClaimed(ctx, completions(got)); err != nil {
						t.Errorf("%s: complete: %v", owner, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if len(seen) != n {
			t.Errorf("claimed %d of %d", len(seen), n)
		}
		if b := backlog(t, stores[1]); b.Depth != 0 {
			t.Errorf("backlog: %+v", b)
		}
		page, err := stores[1].ListEvents(ctx, "acme", audit.EventFilter{Decision: audit.StatusPending, Limit: 10})
		if err != nil || len(page.Events) != 0 {
			t.Errorf("pending after the drain: %v %v", page, err)
		}
		st, err := stores[1].Stats(ctx, "acme", audit.StatsQuery{Since: t0.Add(-time.Hour), Until: t0.Add(time.Hour), Bucket: time.Hour})
		if err != nil || st.Totals.Events != n || st.Totals.Allowed != n {
			t.Errorf("stats after the drain: %+v %v", st, err)
		}
		sessions, err := stores[1].ListSessions(ctx, "acme", audit.SessionFilter{})
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, ss := range sessions.Sessions {
			total += ss.Findings
		}
		if total != n {
			t.Errorf("sessions count %d findings, want %d", total, n)
		}
	})
}

func TestQueuePruneDropsWork(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx := testCtx(t)
		recordN(t, s, "p", 4)
		if _, err := s.Prune(ctx, t0.Add(2*time.Millisecond), 0); err != nil {
			t.Fatal(err)
		}
		if b := backlog(t, s); b.Depth != 2 {
			t.Errorf("backlog after prune: %+v", b)
		}
		if got := claimIDs(t, s, "w", 10, time.Minute); fmt.Sprint(got) != "[p0002 p0003]" {
			t.Errorf("claimed %v", got)
		}
	})
}

// TestRecordBatch: a batch records and queues each event as Record would,
// in one transaction: duplicates of stored events and of each other are
// reported as such, and a bad event fails alone.
func TestRecordBatch(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx := testCtx(t)
		mustRecord(t, s, ev("acme", "stored", sdk.EventEntireRequest, "req-stored", "", t0))
		mustRecord(t, s, ev("acme", "taken", sdk.EventEntireRequest, "", "", t0))
		batch := []*audit.Event{
			ev("acme", "b0", sdk.EventEntireRequest, "req-0", "s1", t0.Add(time.Millisecond)),
			ev("acme", "b1", sdk.EventEntireRequest, "req-stored", "", t0.Add(2*time.Millisecond)), // a redelivery
			ev("acme", "b2", sdk.EventEntireRequest, "req-2", "", t0.Add(3*time.Millisecond)),
			ev("acme", "b3", sdk.EventEntireRequest, "req-2", "", t0.Add(4*time.Millisecond)), // a duplicate in the batch
			ev("", "b4", sdk.EventEntireRequest, "req-4", "", t0.Add(5*time.Millisecond)),     // no tenant
			ev("acme", "b5", sdk.EventEntireRequest, "req-5", "", t0.Add(6*time.Millisecond)),
		}
		got := s.RecordBatch(ctx, batch)
		want := []struct {
			id  string
			dup bool
			err bool
		}{{"b0", false, false}, {"stored", true, false}, {"b2", false, false}, {"b2", true, false}, {"", false, true}, {"b5", false, false}}
		if len(got) != len(want) {
			t.Fatalf("%d outcomes for %d events", len(got), len(batch))
		}
		for i, w := range want {
			if got[i].ID != w.id || got[i].Dup != w.dup || (got[i].Err != nil) != w.err {
				t.Errorf("event %d: %+v, want id=%s dup=%v err=%v", i, got[i], w.id, w.dup, w.err)
			}
		}
		if b := backlog(t, s); b.Depth != 5 {
			t.Errorf("backlog %+v, want stored, taken, b0, b2 and b5 queued", b)
		}
		// An event that breaks the transaction (its ID is taken and it has
		// no request ID) fails alone; the others are recorded.
		got = s.RecordBatch(ctx, []*audit.Event{
			ev("acme", "c0", sdk.EventEntireRequest, "req-c0", "", t0.Add(7*time.Millisecond)),
			ev("acme", "taken", sdk.EventEntireRequest, "", "", t0.Add(8*time.Millisecond)),
			ev("acme", "c2", sdk.EventEntireRequest, "req-c2", "", t0.Add(9*time.Millisecond)),
		})
		if got[0].Err != nil || got[0].ID != "c0" || got[1].Err == nil || got[2].Err != nil || got[2].ID != "c2" {
			t.Errorf("a batch with a bad event: %+v", got)
		}
		for _, id := range []string{"b0", "b2", "b5", "c0", "c2"} {
			if _, err := s.GetEvent(ctx, "acme", id); err != nil {
				t.Errorf("%s not recorded: %v", id, err)
			}
		}
		if b := backlog(t, s); b.Depth != 7 {
			t.Errorf("backlog %+v, want 7", b)
		}
		// Several events of one session in a batch count into it as they
		// would one by one (PostgreSQL counts each session once per batch).
		got = s.RecordBatch(ctx, []*audit.Event{
			ev("acme", "d0", sdk.EventEntireRequest, "req-d0", "s1", t0.Add(10*time.Millisecond)),
			ev("acme", "d2", sdk.EventEntireRequest, "req-d2", "s2", t0.Add(11*time.Millisecond)),
			ev("acme", "d1", sdk.EventEntireRequest, "req-d1", "s1", t0.Add(10*time.Millisecond)),
			ev("acme", "d3", sdk.EventEntireRequest, "req-d3", "s1", t0),
		})
		for i, r := range got {
			if r.Err != nil || r.Dup {
				t.Errorf("session batch, event %d: %+v", i, r)
			}
		}
		if err := audit.CheckSessions(ctx, s); err != nil {
			t.Error(err)
		}
	})
}
