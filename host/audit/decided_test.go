package audit_test

import (
	"testing"
	"time"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/sdk"
)

func TestRecordDecided(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx := testCtx(t)
		now := time.Now().UTC()
		mk := func(id, req string, dec string) audit.Decided {
			return audit.Decided{
				Event: &audit.Event{ID: id, Tenant: "t", Type: sdk.EventPreRequest, RequestID: req, SessionID: "s1",
					ReceivedAt: now, Items: []audit.Item{{Index: 0, Kind: sdk.KindPrompt, Digest: "d", Length: 1}}},
				Result: &audit.Result{Decision: dec, Mode: "enforce", EvaluatedAt: now,
					Findings: []audit.Finding{{Finding: sdk.Finding{Detector: "secrets", Rule: "r", Category: "secrets", Severity: sdk.SeverityHigh}, Action: "block"}}},
			}
		}
		batch := []audit.Decided{mk("ev_a", "r1", "block"), mk("ev_b", "r2", "allow"), mk("ev_c", "r1", "allow")}
		if err := s.RecordDecided(ctx, batch); err != nil {
			t.Fatal(err)
		}
		q := s.(audit.Querier)
		page, err := q.ListEvents(ctx, "t", audit.EventFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Events) != 2 {
			t.Fatalf("%d events, want 2 (the duplicate request skipped)", len(page.Events))
		}
		d, err := q.GetEvent(ctx, "t", "ev_a")
		if err != nil {
			t.Fatal(err)
		}
		if d.Result == nil || d.Result.Decision != "block" || len(d.Result.Findings) != 1 {
			t.Errorf("ev_a result %+v", d.Result)
		}
		if p, _ := s.Pending(ctx, 10); len(p) != 0 {
			t.Errorf("decided events left pending: %d", len(p))
		}
	})
}
