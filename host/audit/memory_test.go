package audit_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/sdk"
)

func memOf(t *testing.T, s audit.Store) audit.MemoryStore {
	t.Helper()
	m, ok := audit.MemoryOf(s)
	if !ok {
		t.Fatal("the SQL store has no session memory")
	}
	return m
}

func update(tenant, session, event string, at time.Time, items ...string) *audit.MemoryUpdate {
	up := &audit.MemoryUpdate{Tenant: tenant, Session: session, Event: event, At: at}
	for _, d := range items {
		up.Items = append(up.Items, audit.JudgedItem{Digest: d, Signature: "sig", Kind: sdk.KindToolResult,
			Findings: []sdk.Finding{{Detector: "secrets", Rule: "r", Category: "secrets", Severity: sdk.SeverityHigh, Start: 1, End: 5, Fingerprint: "fp-" + d}}})
	}
	return up
}

// Memory is per tenant and session; judged items come back with their
// findings; a finding is kept once with the requests it recurred in.
func TestMemoryRecallRemember(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx, m := testCtx(t), memOf(t, s)
		rc, err := m.Recall(ctx, "acme", "s1", []string{"d1"})
		if err != nil || rc.State != nil || len(rc.Items) != 0 {
			t.Fatalf("empty session: %+v %v", rc, err)
		}
		up := update("acme", "s1", "e1", t0, "d1", "d2")
		up.Marks = []audit.Mark{{FP: "m1", Kind: audit.MarkSecret, Label: "secrets/aws", FirstItem: 3, Severity: sdk.SeverityCritical}}
		f := audit.SessionFinding{Key: "k1", Detector: "secrets", Rule: "r", Category: "secrets", Severity: sdk.SeverityHigh, Message: "m"}
		up.Findings = []audit.SessionFinding{f}
		if _, err := m.Remember(ctx, up); err != nil {
			t.Fatal(err)
		}
		up2 := update("acme", "s1", "e2", t0.Add(time.Second))
		up2.Findings = []audit.SessionFinding{f}
		if _, err := m.Remember(ctx, up2, up2); err != nil { // the same event twice counts once
			t.Fatal(err)
		}
		rc, err = m.Recall(ctx, "acme", "s1", []string{"d1", "d3"})
		if err != nil {
			t.Fatal(err)
		}
		if rc.State == nil || rc.State.Steps != 3 || len(rc.Items) != 1 || rc.Items["d1"].Findings[0].Fingerprint != "fp-d1" || rc.Items["d1"].FirstEvent != "e1" {
			t.Fatalf("recall: %+v", rc)
		}
		if len(rc.Marks) != 1 || rc.Marks[0].FirstStep != 1 || rc.Marks[0].FirstEvent != "e1" || rc.Marks[0].FirstItem != 3 {
			t.Fatalf("marks: %+v", rc.Marks)
		}
		fs, err := m.SessionFindings(ctx, "acme", "s1", 0)
		if err != nil || len(fs) != 1 || fs[0].Requests != 2 || fs[0].FirstEvent != "e1" || fs[0].LastEvent != "e2" {
			t.Fatalf("session findings: %+v %v", fs, err)
		}
		// Another tenant's session of the same id is another session.
		if rc, err := m.Recall(ctx, "other", "s1", []string{"d1"}); err != nil || rc.State != nil || len(rc.Items) != 0 {
			t.Fatalf("other tenant: %+v %v", rc, err)
		}
	})
}

// A client that reuses one session id for everything does not make memory
// grow without limit: the oldest rows go, and are counted.
func TestMemoryBounds(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx, m := testCtx(t), memOf(t, s)
		total := 0
		for i := range 30 {
			up := update("acme", "big", fmt.Sprintf("e%d", i), t0.Add(time.Duration(i)*time.Second), fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i))
			up.Marks = []audit.Mark{{FP: fmt.Sprintf("m%d", i), Kind: audit.MarkSecret, Label: "x"}}
			up.MaxItems, up.MaxMarks = 10, 5
			n, err := m.Remember(ctx, up)
			if err != nil {
				t.Fatal(err)
			}
			total += n
		}
		st, err := m.MemoryState(ctx, "acme", "big")
		if err != nil {
			t.Fatal(err)
		}
		if st.Items > 10 || st.Marks > 5 || st.Dropped != total || total != (60-st.Items)+(30-st.Marks) {
			t.Fatalf("state %+v, dropped %d", st, total)
		}
		rc, err := m.Recall(ctx, "acme", "big", []string{"a0", "a29", "b29"})
		if err != nil {
			t.Fatal(err)
		}
		if _, old := rc.Items["a0"]; old || len(rc.Items) != 2 || len(rc.Marks) != st.Marks {
			t.Fatalf("after bounds: items %v, %d marks", rc.Items, len(rc.Marks))
		}
	})
}

func TestMemoryQuarantineLiftPrune(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx, m := testCtx(t), memOf(t, s)
		now := time.Now()
		up := update("acme", "q", "e1", now)
		up.Quarantine = &audit.Quarantine{Severity: sdk.SeverityCritical, Reason: "Unsafe Command: reverse shell", Detector: "commands"}
		if _, err := m.Remember(ctx, up); err != nil {
			t.Fatal(err)
		}
		st, err := m.MemoryState(ctx, "acme", "q")
		if err != nil || !st.Quarantine.Active(time.Now()) || st.Quarantine.Event != "e1" || st.Quarantine.Reason != "Unsafe Command: reverse shell" {
			t.Fatalf("quarantine: %+v %v", st, err)
		}
		// A second one while it holds keeps the first.
		up2 := update("acme", "q", "e2", now.Add(time.Second))
		up2.Quarantine = &audit.Quarantine{Severity: sdk.SeverityHigh, Reason: "other"}
		if _, err := m.Remember(ctx, up2); err != nil {
			t.Fatal(err)
		}
		// Quarantined sessions outlive the retention; others do not.
		if _, err := m.Remember(ctx, update("acme", "idle", "e3", now.Add(-48*time.Hour))); err != nil {
			t.Fatal(err)
		}
		if n, err := m.PruneMemory(ctx, now.Add(-time.Hour)); err != nil || n != 1 {
			t.Fatalf("prune: %d %v", n, err)
		}
		if _, err := m.MemoryState(ctx, "acme", "idle"); !errors.Is(err, audit.ErrNotFound) {
			t.Fatalf("idle session kept: %v", err)
		}
		if _, err := m.LiftQuarantine(ctx, "other", "q", "bob", "x", time.Now()); !errors.Is(err, audit.ErrNotFound) {
			t.Fatalf("another tenant lifted it: %v", err)
		}
		st, err = m.LiftQuarantine(ctx, "acme", "q", "alice@example.com", "checked", time.Now())
		if err != nil || st.Quarantine.Active(time.Now()) || st.Quarantine.LiftedBy != "alice@example.com" || st.Quarantine.Event != "e1" {
			t.Fatalf("lift: %+v %v", st, err)
		}
		if _, err := m.LiftQuarantine(ctx, "acme", "q", "alice@example.com", "again", time.Now()); !errors.Is(err, audit.ErrNotFound) {
			t.Fatalf("lifted twice: %v", err)
		}
		// A quarantine with a duration ends by itself.
		up3 := update("acme", "q2", "e4", now)
		up3.Quarantine = &audit.Quarantine{Severity: sdk.SeverityCritical, Reason: "r", Until: now.Add(time.Minute)}
		if _, err := m.Remember(ctx, up3); err != nil {
			t.Fatal(err)
		}
		st, _ = m.MemoryState(ctx, "acme", "q2")
		if !st.Quarantine.Active(now) || st.Quarantine.Active(now.Add(2*time.Minute)) {
			t.Fatalf("timed quarantine: %+v", st.Quarantine)
		}
	})
}

// RecallBatch answers each request as Recall does, in a few statements for
// the whole batch; requests of one session get Recalls of their own.
func TestMemoryRecallBatch(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx, m := testCtx(t), memOf(t, s)
		up := update("acme", "s1", "e1", t0, "d1", "d2")
		up.Marks = []audit.Mark{{FP: "m1", Kind: audit.MarkSecret, Label: "secrets/aws", FirstItem: 1}}
		up2 := update("acme", "s2", "e2", t0.Add(time.Second), "d1", "d3")
		up3 := update("beta", "s1", "e3", t0, "d9")
		if _, err := m.Remember(ctx, up, up2, up3); err != nil {
			t.Fatal(err)
		}
		reqs := []audit.RecallRequest{
			{Tenant: "acme", Session: "s1", Digests: []string{"d1", "d3", "d9"}},
			{Tenant: "acme", Session: "s2", Digests: []string{"d1", "d3"}},
			{Tenant: "acme", Session: "s1", Digests: []string{"d2"}},
			{Tenant: "acme", Session: "unknown", Digests: []string{"d1"}},
			{Tenant: "beta", Session: "s1"},
		}
		got, err := m.RecallBatch(ctx, reqs)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(reqs) {
			t.Fatalf("%d recalls for %d requests", len(got), len(reqs))
		}
		for i, r := range reqs {
			want, err := m.Recall(ctx, r.Tenant, r.Session, r.Digests)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got[i]); diff != "" {
				t.Errorf("request %d (-Recall +RecallBatch):\n%s", i, diff)
			}
		}
		// Each turn appends the marks its event adds to its own.
		got[0].Marks = append(got[0].Marks, audit.Mark{FP: "first"})
		got[2].Marks = append(got[2].Marks, audit.Mark{FP: "second"})
		if got[0].Marks[1].FP != "first" {
			t.Errorf("requests of one session share their marks: %+v", got[0].Marks)
		}
	})
}
