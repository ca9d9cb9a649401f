package audit_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/sdk"
)

func verify(t *testing.T, s audit.Store, tenant string) *audit.ChainReport {
	t.Helper()
	rep, err := audit.VerifyChain(testCtx(t), s, tenant)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// chainTrail writes decisions for two tenants by every path: Record then
// Complete, RecordDecided batches mixing tenants, and a second Complete.
func chainTrail(t *testing.T, s audit.Store) {
	t.Helper()
	for i := 0; i < 4; i++ {
		id := fmt.Sprintf("c%d", i)
		mustRecord(t, s, ev("acme", id, sdk.EventEntireRequest, "", "s1", t0.Add(time.Duration(i)*time.Second)))
		mustComplete(t, s, id, result("allow", i%2 == 0, time.Millisecond, fnd("commands", "command", sdk.SeverityHigh, "")))
	}
	var batch []audit.Decided
	for i := 0; i < 6; i++ {
		tenant := []string{"acme", "globex"}[i%2]
		batch = append(batch, audit.Decided{Event: ev(tenant, fmt.Sprintf("d%d", i), sdk.EventPreRequest, fmt.Sprintf("r%d", i), "s2", t0.Add(time.Minute)),
			Result: result("block", true, 2*time.Millisecond, fnd("secrets", "secrets", sdk.SeverityCritical, ""))})
	}
	if err := s.RecordDecided(testCtx(t), batch); err != nil {
		t.Fatal(err)
	}
	// Evaluated again (crash recovery): a new link; the old one is superseded.
	mustComplete(t, s, "c1", result("block", true, time.Millisecond))
}

func TestChainVerifiesAndCatchesAnEditedRow(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		chainTrail(t, s)
		rep := verify(t, s, "acme")
		if !rep.OK() || rep.Links != 8 || rep.First != 1 || rep.Last != 8 || rep.Replaced != 1 || len(rep.Head) != 64 {
			t.Fatalf("acme chain: %+v", rep)
		}
		if g := verify(t, s, "globex"); !g.OK() || g.Links != 3 {
			t.Fatalf("globex chain: %+v", g)
		}
		if e := verify(t, s, "nobody"); !e.OK() || e.Links != 0 {
			t.Fatalf("empty chain: %+v", e)
		}

		// Someone edits a recorded decision: block becomes allow.
		if err := audit.ExecRaw(testCtx(t), s, `UPDATE events SET decision = 'allow' WHERE id = 'd2'`); err != nil {
			t.Fatal(err)
		}
		rep = verify(t, s, "acme")
		if rep.OK() || len(rep.Problems) != 1 || rep.Problems[0].EventID != "d2" || !strings.Contains(rep.Problems[0].Reason, "changed") {
			t.Fatalf("edited decision not caught: %+v", rep)
		}
		if g := verify(t, s, "globex"); !g.OK() {
			t.Fatalf("another tenant's chain broke: %+v", g)
		}
		_ = audit.ExecRaw(testCtx(t), s, `UPDATE events SET decision = 'block' WHERE id = 'd2'`)
		if rep := verify(t, s, "acme"); !rep.OK() {
			t.Fatalf("restored row still fails: %+v", rep)
		}

		// A finding quietly downgraded.
		_ = audit.ExecRaw(testCtx(t), s, `UPDATE findings SET severity = 1 WHERE event_id = 'c3'`)
		if rep := verify(t, s, "acme"); rep.OK() || rep.Problems[0].EventID != "c3" {
			t.Fatalf("edited finding not caught: %+v", rep)
		}
		_ = audit.ExecRaw(testCtx(t), s, fmt.Sprintf(`UPDATE findings SET severity = %d WHERE event_id = 'c3'`, int(sdk.SeverityHigh)))

		// A link removed from the middle, and the last one from the end.
		_ = audit.ExecRaw(testCtx(t), s, `DELETE FROM chain WHERE tenant = 'acme' AND seq = 3`)
		if rep := verify(t, s, "acme"); rep.OK() || !strings.Contains(rep.Problems[0].Reason, "missing") {
			t.Fatalf("removed link not caught: %+v", rep)
		}
		_ = audit.ExecRaw(testCtx(t), s, `DELETE FROM chain WHERE tenant = 'globex' AND seq = 3`)
		if rep := verify(t, s, "globex"); rep.OK() || !strings.Contains(rep.Problems[0].Reason, "head") {
			t.Fatalf("truncated chain not caught: %+v", rep)
		}

		// An event deleted behind retention's back.
		_ = audit.ExecRaw(testCtx(t), s, `DELETE FROM events WHERE id = 'd4'`)
		if rep := verify(t, s, "acme"); !strings.Contains(fmt.Sprint(rep.Problems), "deleted outside retention") {
			t.Fatalf("deleted event not caught: %+v", rep)
		}
	})
}

// Retention deletes events; their links stay, checked for linkage only.
func TestChainSurvivesRetention(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		chainTrail(t, s)
		if n, err := s.Prune(testCtx(t), t0.Add(30*time.Second), 0); err != nil || n == 0 {
			t.Fatalf("prune: %d %v", n, err)
		}
		rep := verify(t, s, "acme")
		if !rep.OK() || rep.Pruned == 0 || rep.Links != 8 {
			t.Fatalf("after retention: %+v", rep)
		}
	})
}

// Concurrent writers, including separate stores on one database (replicas
// on PostgreSQL), append one consistent chain.
func TestChainUnderConcurrentWriters(t *testing.T) {
	t.Parallel()
	forEachConfig(t, func(t *testing.T, cfg audit.Config) {
		stores := []audit.Store{openStore(t, cfg), openStore(t, cfg)}
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				s := stores[w%2]
				for i := 0; i < 10; i++ {
					var batch []audit.Decided
					for j := 0; j < 3; j++ {
						tenant := []string{"acme", "globex"}[(i+j+w)%2]
						id := fmt.Sprintf("w%d-%d-%d", w, i, j)
						batch = append(batch, audit.Decided{Event: ev(tenant, id, sdk.EventPreRequest, id, "s", t0),
							Result: result("allow", false, time.Millisecond)})
					}
					if err := s.RecordDecided(testCtx(t), batch); err != nil {
						errs <- err
						return
					}
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		total := int64(0)
		for _, tenant := range []string{"acme", "globex"} {
			rep := verify(t, stores[0], tenant)
			if !rep.OK() || rep.First != 1 || rep.Last != rep.Links {
				t.Fatalf("%s: %+v", tenant, rep)
			}
			total += rep.Links
		}
		if total != 4*10*3 {
			t.Fatalf("%d links for 120 decisions", total)
		}
	})
}
